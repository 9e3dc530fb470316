"""Input limits, each refused with a 4xx in the API's own format, before anything
is stored (values and reasons: docs/security.md, "Limits"; settings: config.py).

- `enforce` (HTTP middleware): header bytes (431) and the raw body size (413);
- `inflate`: a gzip body is inflated a bounded chunk at a time, so a gzip bomb is
  refused (413) having used at most the limit plus one chunk of memory; bytes after
  the gzip stream (garbage, a second member) are refused (400);
- `loads`: JSON refused when longer or more deeply nested than allowed, checked
  on the text BEFORE parsing, because json.loads and the recursive code after it
  raise RecursionError (a 500) on deep nesting;
- `query_value`: the same size and depth limits on a query already parsed from a
  body (v4 POST), so a POST is held to what a GET's query string is.
- the text rule (`require_text`): every string a request carries, in its query
  parameters, its path or any JSON it holds, must be encodable as UTF-8. JSON allows
  a lone surrogate (`"\\ud800"`); stored, it broke every later answer holding it.
  `loads` (every JSON a request carries goes through it) and `enforce` (the URL)
  apply it, so no parser needs to.
- the key rule (`key_problem`): a value the stores key by (certname, environment,
  resource type and status; job node, owner and environment; service, subject and
  object ids) is at most MAX_KEY_BYTES, on both adapters alike: DynamoDB refuses a
  partition key over 2048 bytes and a sort key over 1024, with the service's
  prefixes around the value.
- the record rule (`record_problem`): one stored record (a resource event, an activity
  commit, a job) is at most MAX_RECORD_BYTES of text, on both adapters alike: a
  DynamoDB item holds at most 400 KB, attribute names and copies' keys included.
"""
from __future__ import annotations

import json
import re
import zlib

from .config import settings
from .errors import ApiError

INFLATE_CHUNK = 1 << 20
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_OPENING = (ord("["), ord("{"))


class TooComplex(ValueError):
    """JSON longer or deeper than its limit; callers answer it as their 400."""


class NotText(TooComplex):
    """A string that is not encodable as UTF-8 (a lone surrogate); answered as
    TooComplex is, with a message that does not echo the value."""


# A JSON escape of a surrogate (paired ones decode to one character and pass).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_TEXT_PROBLEM = "holds a string that is not valid Unicode text (a lone surrogate such as \\ud800)"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


MAX_KEY_BYTES = 1000


def key_problem(value: str, what: str) -> str | None:
    """Why `value` cannot be stored as a key, or None (the key rule above)."""
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        return f"{what} is {size} bytes; at most {MAX_KEY_BYTES} are stored"
    return None


MAX_RECORD_BYTES = 350_000


def record_problem(size: int, what: str) -> str | None:
    """Why a record of `size` bytes of text cannot be stored, or None (the record rule)."""
    if size > MAX_RECORD_BYTES:
        return f"{what} is {size} bytes; at most {MAX_RECORD_BYTES} are stored in one record"
    return None


def text_bytes(record: dict) -> int:
    """The size of a record's string values for the record rule: their characters
    when even 4 UTF-8 bytes each would pass it (no encoding on the ingest path),
    else their exact UTF-8 bytes."""
    strings = [v for v in record.values() if isinstance(v, str)]
    characters = sum(map(len, strings))
    if characters * 4 <= MAX_RECORD_BYTES:
        return characters
    return sum(len(v.encode("utf-8", "surrogatepass")) for v in strings)


def require_text(value: object, what: str) -> None:
    """NotText unless every string in `value` (a decoded JSON value or a string),
    keys included, is encodable as UTF-8."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise NotText(f"{what} {_TEXT_PROBLEM}") from None


def too_large(msg: str = "The request body is too large") -> ApiError:
    return ApiError(413, "request-too-large", msg)


def depth(text: str | bytes) -> int:
    """The deepest bracket nesting of a JSON text; brackets inside strings do not
    count. C-speed byte operations only (a regex over the strings took seconds on
    16 MiB): drop escaped backslashes, then escaped quotes, so every quote left
    opens or closes a string; keep only quotes and brackets; drop adjacent quote
    pairs (the empty skeletons of bracket-free strings; removing two adjacent
    quotes keeps every other quote's parity); the even pieces between the
    remaining quotes are outside strings."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    unescaped = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = unescaped.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    outside = b"".join(skeleton.split(b'"')[0::2])
    level = deepest = 0
    for bracket in outside:
        if bracket in _OPENING:
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def _refuse_constant(name: str):
    """NaN and Infinity are Python's extension, not JSON: stored, such a value would
    make every later answer containing it invalid JSON."""
    raise ValueError(f"{name} is not a JSON value")


def loads(text: str | bytes, *, max_depth: int, max_bytes: int | None = None,
          what: str = "The JSON document") -> object:
    """json.loads within the limits; TooComplex or ValueError (invalid JSON)."""
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if max_bytes is not None and size > max_bytes:
        raise TooComplex(f"{what} is longer than {max_bytes} bytes")
    if depth(text) > max_depth:
        raise TooComplex(f"{what} is nested more than {max_depth} levels deep")
    value = json.loads(text, parse_constant=_refuse_constant)
    # Only text with a surrogate escape (or a surrogate itself) can decode to one:
    # the walk is skipped for nearly every body.
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _SURROGATE_ESCAPE.search(raw) or (isinstance(text, str) and not _encodable(text)):
        require_text(value, what)
    return value


def body_json(text: str | bytes, what: str = "The request body") -> object:
    return loads(text, max_depth=settings().max_json_depth, what=what)


def query_json(text: str, name: str) -> object:
    config = settings()
    return loads(text, max_depth=config.max_query_depth, max_bytes=config.max_query_bytes,
                 what=f"The '{name}' parameter")


def query_value(value: object, name: str) -> object:
    """A query parameter that arrived already parsed (a v4 POST body's `query`,
    `counts_filter`, `order_by`), held to the limits of query_json as if it had come
    as text: its compact JSON text is measured. `value` comes from body_json, so it
    is at most EVENTS_MAX_JSON_DEPTH deep and json.dumps cannot recurse too far."""
    if isinstance(value, str):
        return query_json(value, name)
    config = settings()
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass")
    what = f"The '{name}' parameter"
    if len(text) > config.max_query_bytes:
        raise TooComplex(f"{what} is longer than {config.max_query_bytes} bytes")
    if depth(text) > config.max_query_depth:
        raise TooComplex(f"{what} is nested more than {config.max_query_depth} levels deep")
    return value


def inflate(raw: bytes | None, encoding: str | None) -> bytes:
    """The body, gunzipped when `Content-Encoding: gzip`, at most max_body_bytes
    after decompression (413 beyond; 415 for other encodings; 400 for data that is
    not one whole gzip member)."""
    raw = raw or b""
    limit = settings().max_body_bytes
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        if len(raw) > limit:
            raise too_large()
        return raw
    if encoding not in ("gzip", "x-gzip"):
        raise ApiError(415, "unsupported-encoding", f"Unsupported Content-Encoding '{encoding}'")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    chunks, size, data = [], 0, raw
    try:
        while data:
            chunk = inflater.decompress(data, INFLATE_CHUNK)
            size += len(chunk)
            if size > limit:
                raise too_large(f"The decompressed request body is larger than {limit} bytes")
            chunks.append(chunk)
            data = inflater.unconsumed_tail
        if not inflater.eof:
            raise ApiError(400, "bad-request", "The request body is not valid gzip data")
        if inflater.unused_data:
            # Garbage or a second member after the first: refused rather than ignored,
            # so what is stored is the whole of what was sent.
            raise ApiError(400, "bad-request", "The request body has data after its gzip stream")
    except zlib.error:
        raise ApiError(400, "bad-request", "The request body is not valid gzip data") from None
    return b"".join(chunks)


def header_bytes(headers) -> int:
    return sum(len(name) + len(value) for name, value in (headers or {}).items())


# The kind each API gives a bad parameter (PuppetDB's errors are plain text).
_PARAMETER_KINDS = (("/orchestrator/", "validation-error"), ("/activity-api/", "invalid-parameter"))


def _url_text(event) -> None:
    """The text rule on query parameters and path parameters: a gateway may hand
    the function a decoded URL holding a lone surrogate."""
    params = event.query_params or {}
    named = [(name, value) for name in params for value in params.getlist(name)]
    named += list((event.uri_params or {}).items())
    for name, value in named:
        if not (_encodable(name) and _encodable(value)):
            kind = next((k for prefix, k in _PARAMETER_KINDS if event.path.startswith(prefix)),
                        "bad-request")
            raise ApiError(400, kind, f"A URL parameter {_TEXT_PROBLEM}")


def enforce(event, get_response):
    """Chalice HTTP middleware: header and body sizes and the URL's text, before
    any route runs."""
    config = settings()
    if header_bytes(event.headers) > config.max_header_bytes:
        raise ApiError(431, "request-header-fields-too-large",
                       f"The request headers are larger than {config.max_header_bytes} bytes")
    if len(event.raw_body or b"") > config.max_body_bytes:
        raise too_large(f"The request body is larger than {config.max_body_bytes} bytes")
    _url_text(event)
    return get_response(event)
