"""Answers bounded by bytes as well as rows (docs/security.md, "Answer sizes").

Lambda returns at most 6 MB, and it returns the body inside a JSON envelope
(the Python runtime's json.dumps, ASCII-escaped): a `"` costs two bytes there, a
non-ASCII character six or twelve. So a part's cost is its size in that envelope,
and a page stops before its parts would pass `EVENTS_MAX_RESPONSE_BYTES`
(default 5 MiB, leaving room for headers and the page's own wrapper). Each API says
how to continue: `next-events` for the orchestrator, `X-Next-Offset` for the others.
"""
from __future__ import annotations

import re
from json.encoder import encode_basestring_ascii   # C speed: ~1 ms per MB
from typing import Callable, Iterable, Sequence

from . import jsontext
from .config import settings

NEXT_OFFSET = "X-Next-Offset"
_SURROGATE = re.compile("[\ud800-\udfff]")


def limit() -> int:
    return settings().max_response_bytes


def cost(text: str) -> int:
    """The bytes `text` takes in Lambda's response envelope."""
    return len(encode_basestring_ascii(text)) - 2


def utf8_safe(text: str) -> str:
    """`text` with every lone surrogate (a value stored before the text rule,
    limits.require_text) replaced by U+FFFD, so that encoding the answer as UTF-8
    cannot fail after its status is sent."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def json_array(items: Sequence, render: Callable[[object], object] = lambda item: item,
               budget: int | None = None) -> tuple[jsontext.JSONText, int]:
    """The leading items, rendered, as one JSON array within the budget, and how
    many there are. At least one item is kept, so a client always progresses (one
    item's size is bounded by the write side). The whole page is encoded first:
    within the budget, as nearly every page is, that is the only encoding."""
    budget = limit() if budget is None else budget
    shown = [render(item) for item in items]
    whole = jsontext.dumps(shown)
    if cost(whole) <= budget:
        return jsontext.JSONText(whole, shown), len(shown)
    parts: list[str] = []
    used = 2                                      # the brackets
    for value in shown:
        part = jsontext.dumps(value)
        used += cost(part) + (1 if parts else 0)  # the comma
        if used > budget and parts:
            break
        parts.append(part)
    return jsontext.JSONText("[" + ",".join(parts) + "]", shown[:len(parts)]), len(parts)


def json_page(records: Sequence, render: Callable[[object], object],
              offset: int) -> tuple[jsontext.JSONText, dict]:
    """A listing's JSON array within the budget, and its `X-Next-Offset` header
    when the page stopped short of the records read (absent otherwise)."""
    items, count = json_array(records, render)
    return items, ({NEXT_OFFSET: str(offset + count)} if count < len(records) else {})


class Full(Exception):
    """Raised by Lines.write when a line would pass the budget."""


class Lines:
    """A file-like sink for csv.writer (one write per row) that refuses, with Full,
    the line that would pass the budget; `mark`/`rollback` drop a partial group."""

    def __init__(self, budget: int | None = None):
        self.budget = limit() if budget is None else budget
        self.parts: list[str] = []
        self.used = 0

    def write(self, line: str) -> None:
        size = cost(line)
        if self.used + size > self.budget:
            raise Full()
        self.parts.append(line)
        self.used += size

    def mark(self) -> tuple[int, int]:
        return len(self.parts), self.used

    def rollback(self, mark: tuple[int, int]) -> None:
        del self.parts[mark[0]:]
        self.used = mark[1]

    def text(self) -> str:
        return utf8_safe("".join(self.parts))
