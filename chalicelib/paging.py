"""Shared paging: limit/offset/order parsing, pages with totals, next links.

Each API words its errors differently, so parsing raises `InvalidParameter`,
and the API turns it into its own message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Generic, Iterable, Sequence, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

ASC, DESC = "asc", "desc"
# The largest integer any parameter may hold: SQLite's INTEGER (DynamoDB numbers hold
# it exactly). Larger values would overflow the store's driver, not answer a 400.
MAX_INTEGER = 2 ** 63 - 1
_DECIMAL = re.compile(r"[+-]?[0-9]+")


def decimal(text: str, *, signed: bool = True) -> int | None:
    """`text` as an ASCII decimal integer within +-MAX_INTEGER, else None.
    (str.isdigit() is no test: it accepts "²", which int() refuses.)"""
    text = text.strip()
    if not _DECIMAL.fullmatch(text) or (not signed and text[0] in "+-"):
        return None
    value = int(text)
    return value if abs(value) <= MAX_INTEGER else None


class InvalidParameter(ValueError):
    def __init__(self, name: str, value: object, expected: str):
        super().__init__(f"Invalid value '{value}' for parameter '{name}': expected {expected}")
        self.name, self.value, self.expected = name, value, expected


def integer(name: str, raw: str | None, *, default: int | None = None,
            minimum: int = 0, maximum: int | None = None) -> int | None:
    """Parse a decimal integer parameter within [minimum, maximum]."""
    if raw is None:
        return default
    value = decimal(raw)
    if value is None or value < minimum or (maximum is not None and value > maximum):
        raise InvalidParameter(name, raw, _expectation(minimum, maximum if maximum is not None
                                                      or value is not None else MAX_INTEGER))
    return value


def _expectation(minimum: int, maximum: int | None) -> str:
    if minimum == 0:
        base = "a non-negative integer"
    elif minimum == 1:
        base = "a positive integer"
    else:
        base = f"an integer of at least {minimum}"
    return base + (f" no greater than {maximum}" if maximum is not None else "")


def order(name: str, raw: str | None, *, default: str) -> str:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in (ASC, DESC):
        raise InvalidParameter(name, raw, "'asc' or 'desc'")
    return value


def choice(name: str, raw: str | None, allowed: Iterable[str], *,
           default: str | None = None) -> str | None:
    if raw is None:
        return default
    options = tuple(allowed)
    if raw not in options:
        raise InvalidParameter(name, raw, "one of " + ", ".join(options))
    return raw


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the number of results before paging (None where the
    caller did not ask for it: counting every match can cost more than the page)."""
    items: Sequence[T]
    total: int | None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class Window:
    """What a caller asks for: a slice of an ordered result, and whether to count."""
    limit: int | None
    offset: int = 0
    with_total: bool = True
    sort: tuple[tuple[str, str], ...] = field(default=())


def link(base_url: str, path: str, **params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base_url}{path}" + (f"?{query}" if query else "")
