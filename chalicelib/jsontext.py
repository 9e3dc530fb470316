"""JSON as stored, and the one encoder of JSON responses.

Stores keep submitted JSON (an orchestrator event's details, an activity commit's
events) as text. Reading a page of them back used to decode every value and the
response encoded it again: for a page of 1,000 events that was most of the time
(docs/performance.md). A `JSONText` carries the stored text; `dumps` splices it into
the response unchanged (orjson's `Fragment`), and code that needs the value reads it
like the value itself (`details.get("node")`, `list(events)`), decoded once on first use.
"""
from __future__ import annotations

import json

import orjson

_raw_decode = json.JSONDecoder().raw_decode


def loads(text: str):
    """json.loads for JSON text this service wrote itself with json.dumps (no
    surrounding whitespace), without json.loads' per-call checks: ~1.8x faster per
    value, which is most of the cost of decoding a page of rows."""
    return _raw_decode(text)[0]


def loads_own(text: str):
    """orjson.loads (about 2x faster) for JSON whose every number this service wrote
    itself as a count: orjson reads integers beyond 64 bits as floats, so submitted
    JSON, whose integers may be any size, goes through `loads`. A string holding a lone
    surrogate escape (json accepts one in a request) is also left to json."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return loads(text)


_UNDECODED = object()


class JSONText:
    """A stored JSON object or array: `.text` as stored, `.value` decoded on first use.
    It reads as its value (mapping and sequence access, truth, iteration) and compares
    equal to it; a JSON array compares equal to a tuple or list of the same items."""

    __slots__ = ("text", "_value")

    def __init__(self, text: str, value: object = _UNDECODED):
        self.text = text
        self._value = value

    @property
    def value(self):
        if self._value is _UNDECODED:
            self._value = loads(self.text)
        return self._value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JSONText):
            other = other.value
        mine = self.value
        if isinstance(mine, list) and isinstance(other, tuple):
            other = list(other)
        return mine == other

    __hash__ = None     # like the dict or list it stands for

    def __repr__(self) -> str:
        return f"JSONText({self.text!r})"

    def __bool__(self) -> bool:
        return bool(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self):
        return iter(self.value)

    def __getitem__(self, key):
        return self.value[key]

    def __contains__(self, item) -> bool:
        return item in self.value

    def get(self, key, default=None):
        return self.value.get(key, default)

    def keys(self):
        return self.value.keys()

    def items(self):
        return self.value.items()

    def values(self):
        return self.value.values()


def _spliced(value: object):
    if isinstance(value, JSONText):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _decoded(value: object):
    if isinstance(value, JSONText):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(body: object) -> str:
    """A response body as compact UTF-8 JSON text, stored JSON spliced in as is.
    orjson refuses what Python's json writes (integers beyond 64 bits, non-string
    keys, strings with a lone surrogate): such a body is written by json instead,
    ASCII-escaped so that it is valid UTF-8 whatever it holds."""
    try:
        return orjson.dumps(body, default=_spliced).decode()
    except orjson.JSONEncodeError:
        return json.dumps(body, separators=(",", ":"), default=_decoded)
