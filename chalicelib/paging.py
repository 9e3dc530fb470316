"""Shared paging: limit/offset/order parsing, pages with totals, next links.

Each API words its errors differently, so parsing raises `InvalidParameter`,
and the API turns it into its own message.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Iterable, Sequence, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

ASC, DESC = "asc", "desc"


class InvalidParameter(ValueError):
    def __init__(self, name: str, value: object, expected: str):
        super().__init__(f"Invalid value '{value}' for parameter '{name}': expected {expected}")
        self.name, self.value, self.expected = name, value, expected


def integer(name: str, raw: str | None, *, default: int | None = None,
            minimum: int = 0, maximum: int | None = None) -> int | None:
    """Parse a decimal integer parameter within [minimum, maximum]."""
    if raw is None:
        return default
    expected = _expectation(minimum, maximum)
    text = raw.strip()
    if not text or not (text.isdigit() or (text[0] in "+-" and text[1:].isdigit())):
        raise InvalidParameter(name, raw, expected)
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        raise InvalidParameter(name, raw, expected)
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
    """One page of results and the number of results before paging."""
    items: Sequence[T]
    total: int
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
