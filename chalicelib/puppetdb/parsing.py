"""Request parameters and bodies -> what the store needs, with PuppetDB's error texts
(../shared/notes/puppetdb.md 1.1, 1.4-1.6, 2.1-2.2)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs

from .. import limits, paging
from ..config import settings
from ..errors import ApiError, PuppetDBJsonError
from . import query, reports
from .model import ORDER_FIELDS

EVENT_PARAMS = {"query", "limit", "offset", "order-by", "include-total"}
ACCEPTABLE = {"*/*", "application/*", "application/json"}
STORE_REPORT_VERSIONS = range(5, 9)       # v8 is parsed; PuppetDB 7.12 retires < 5
# PuppetDB 7.12's commands and the query parameters /pdb/cmd/v1 accepts.
PUPPETDB_COMMANDS = ("configure expiration", "deactivate node", "replace catalog",
                     "replace catalog inputs", "replace facts", "store report")
COMMAND_PARAMS = {"command", "version", "certname", "producer-timestamp", "checksum",
                  "secondsToWaitForCompletion"}


def bad_request(msg: str) -> ApiError:
    return ApiError(400, "bad-request", msg)


def invalid_report(error: ValueError, prefix: str = "",
                   bad: Callable[[str], ApiError] = bad_request) -> ApiError:
    """A report refused by reports.py: 413 past a write bound (limits.too_large), else
    `bad`'s 400 (plain text; a v8 command's is PuppetDB 7's JSON, command_error)."""
    if isinstance(error, reports.TooManyEvents):
        return limits.too_large(prefix + str(error))
    return bad(prefix + str(error))


@dataclass(frozen=True)
class EventQuery:
    where: object
    order: tuple[tuple[str, str], ...]
    limit: int | None
    offset: int
    include_total: bool


def accepts_json(accept: str | None) -> bool:
    """A missing header is allowed; otherwise one exact item must fit (notes 1.1)."""
    if accept is None:
        return True
    return any(item.strip() in ACCEPTABLE for item in accept.split(","))


def event_query(params: dict, accept: str | None) -> EventQuery:
    """Order as at R (notes 1.1): paging params, other params, query, Accept."""
    limit = page_limit(params.get("limit"))
    offset = page_offset(params.get("offset"))
    order = order_by(params.get("order-by"), "order-by", ORDER_FIELDS,
                     f"'{', '.join(ORDER_FIELDS)}'")
    for name in sorted(params):
        if name not in EVENT_PARAMS:
            raise bad_request(f"Unsupported query parameter '{name}'")
    if "query" not in params:
        raise bad_request("Missing required query parameter 'query'")
    if not accepts_json(accept):
        raise ApiError(406, "not-acceptable", "must accept application/json")
    try:
        where = query.parse_text(params["query"])
    except query.QueryError as error:
        raise bad_request(str(error)) from None
    include_total = "include-total" in params and params["include-total"].strip().lower() in ("", "true")
    return EventQuery(where, order, limit, offset, include_total)


def _shown(raw: object) -> str:
    return raw if isinstance(raw, str) else json.dumps(raw)


def _integer(raw: object) -> int | None:
    """An int (from a v4 JSON body), or integer text in ASCII digits, within 64 bits;
    else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) <= paging.MAX_INTEGER else None
    return paging.decimal(_shown(raw), signed=False)


def page_limit(raw: object) -> int | None:
    """`limit`, 1.4 and v4 alike (notes 1.6): a positive integer up to the maximum."""
    if raw is None:
        return None
    value = _integer(raw)
    if value is None or value < 1:
        raise bad_request(f"Illegal value '{_shown(raw)}' for :limit; "
                          f"expected a positive non-zero integer.")
    maximum = settings().max_page_limit
    if value > maximum:
        raise bad_request(f"Illegal value '{_shown(raw)}' for :limit; expected a positive "
                          f"non-zero integer no greater than {maximum}.")
    return value


def page_offset(raw: object) -> int:
    if raw is None:
        return 0
    value = _integer(raw)
    if value is None or value < 0:
        raise bad_request(f"Illegal value '{_shown(raw)}' for :offset; "
                          f"expected a non-negative integer.")
    return value


def order_by(raw: object, name: str, columns, supported: str) -> tuple[tuple[str, str], ...]:
    """1.5.0's validation (notes 1.6) of the 1.4 endpoint's `order-by`: an array of
    {"field", "order"} maps, as JSON text. `name` is the parameter as the API spells
    it; `supported` lists `columns` in that API's wording. v4 has its own, with
    PuppetDB 7's texts (v4params.order_by)."""
    if raw is None:
        return ()
    try:
        terms = limits.query_value(raw, name)      # text, or a v4 POST body's value
    except limits.TooComplex as error:
        raise bad_request(str(error)) from None
    except ValueError:
        terms = None
    if not isinstance(terms, list):
        raise bad_request(f"Illegal value '{_shown(raw)}' for :{name}; expected an array of maps.")
    order = []
    for term in terms:
        shown = json.dumps(term)
        if not isinstance(term, dict):
            raise bad_request(f"Illegal value '{shown}' in :{name}; expected a map.")
        for key in term:
            if key not in ("field", "order"):
                raise bad_request(f"Illegal value '{shown}' in :{name}; unknown key '{key}'.")
        if "field" not in term:
            raise bad_request(f"Illegal value '{shown}' in :{name}; missing required key 'field'.")
        column = term["field"]
        if column not in columns:
            raise bad_request(f"Unrecognized column '{column}' specified in :{name}; "
                              f"Supported columns are {supported}")
        direction = term.get("order", "asc")
        if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
            raise bad_request(f"Unsupported value {direction} for :order; "
                              f"expected one of 'DESC' or 'ASC'")
        order.append((column, direction.lower()))
    return tuple(order)


# ------------------------------------------------------------------ commands

def command_body(raw: bytes | None, encoding: str | None) -> bytes:
    """The request body, gunzipped when `Content-Encoding: gzip` and refused (413)
    beyond the body limit while inflating (limits.inflate)."""
    return limits.inflate(raw, encoding)


def require_json_content(content_type: str | None) -> None:
    """PuppetDB answers 415 to a command whose Content-Type is not JSON (notes 2.2), in
    plain text with PuppetDB 7.12's wording; a missing header is let through."""
    if content_type is not None:
        media_type = content_type.split(";")[0].strip().lower()
        if media_type != "application/json":
            raise ApiError(415, "unsupported-media-type",
                           f"content type {media_type} not supported")


# A JSON `\u0000` escape not itself escaped (preceded by an even number of backslashes).
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def command_error(msg: str) -> ApiError:
    """A command's 400: PuppetDB 7 answers it as JSON `{"error": msg}`."""
    return PuppetDBJsonError(400, "bad-request", msg)


def json_document(raw: bytes, bad: Callable[[str], ApiError] = bad_request) -> object:
    """A command's JSON body. U+0000 becomes U+FFFD, as PuppetDB 7 stores and answers it
    (PostgreSQL text cannot hold NUL; tests/conformance). JSON text can carry a NUL only
    as the escape `\\u0000`, so replacing the escape replaces them all."""
    if b"\\u0000" in raw:
        raw = _NUL_ESCAPE.sub(b"\\1" + "\ufffd".encode(), raw)
    try:
        return limits.body_json(raw)
    except limits.TooComplex as error:
        raise bad(str(error)) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise bad(f"The request body is not valid JSON: {error}") from None


def store_report_command(params: dict) -> None:
    """Check `POST /pdb/cmd/v1` parameters with PuppetDB 7.12's texts (measured against
    it, tests/conformance): the command is named with spaces, a missing certname is
    `nil`, and a parameter PuppetDB does not know is refused."""
    command, certname = params.get("command"), params.get("certname")
    if not command:
        raise _command_error(None, None, "Command was submitted without query parameters "
                             "(old format). The request body must be a JSON map with required "
                             "keys: command, version, payload.")
    command = command.replace("_", " ")
    if command not in PUPPETDB_COMMANDS:
        raise _command_error(command, certname,
                             "Command must be one of: " + ", ".join(PUPPETDB_COMMANDS) + ".")
    if not certname:
        raise _command_error(command, None, "Command is missing required parameters: certname.")
    invalid = [name for name in params if name not in COMMAND_PARAMS]
    if invalid:
        raise _command_error(command, certname,
                             "Command has invalid parameters: " + ", ".join(invalid) + ".")
    if command != "store report":
        raise _command_error(command, certname, "This service stores reports only.")
    version = paging.decimal(params.get("version") or "", signed=False)
    if version is None:
        raise _command_error(command, certname, "Version must be a valid integer.")
    if version < STORE_REPORT_VERSIONS.start:
        raise _command_error(command, certname,
                             f'Version {version} of command "store report" is retired. '
                             f"The minimum supported version is {STORE_REPORT_VERSIONS.start}.")
    if version != 8:
        raise _command_error(command, certname, f'Version {version} of command "store report" '
                             "is not supported here; send version 8.")


def _command_error(command: str | None, certname: object, reason: str) -> ApiError:
    def shown(value):
        return "nil" if value is None else f'"{value}"'
    return command_error(f"Command {shown(command)} for certname {shown(certname)} is invalid. "
                         + reason)


def v2_command(raw: bytes, checksum_of: Callable[[str], str]) -> dict:
    """The 1.4 form body `checksum=..&payload=<command JSON>` (notes 2.1)."""
    try:
        form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise bad_request("The request body is not valid UTF-8") from None
    if "payload" not in form:
        raise bad_request("missing payload")
    payload = form["payload"][-1]
    if "checksum" in form and form["checksum"][-1] != checksum_of(payload):
        raise bad_request("checksums don't match")
    command = json_document(payload.encode("utf-8"))
    if not isinstance(command, dict) or command.get("command") != "store report":
        raise bad_request(f"Unsupported command {json.dumps(command.get('command')) if isinstance(command, dict) else ''}".strip())
    if command.get("version") != 2:
        raise bad_request(f"Unsupported version {command.get('version')} of command store report")
    return command.get("payload")
