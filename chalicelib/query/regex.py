"""Regular expressions that cannot hang a worker.

Patterns run on RE2 (google-re2), a linear-time engine without backtracking, so
no pattern can cause catastrophic backtracking: matching costs time linear in the
input for a given pattern, and patterns are bounded in length (validate) and in
compiled size (max_mem). The SQLite REGEXP function, the
DynamoDB residual filter and the reference evaluator all call `search`, so the
three executions agree on the dialect.
"""
from __future__ import annotations

from functools import lru_cache

import re2

from ..config import settings

_OPTIONS = re2.Options()
_OPTIONS.max_mem = 8 << 20       # a bound on compiled size: huge repetitions fail to compile


class InvalidRegex(ValueError):
    pass


@lru_cache(maxsize=512)
def compile_pattern(pattern: str):
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as error:
        raise InvalidRegex(f"invalid regular expression: {error}") from None


def search(pattern: str, value: object) -> bool:
    if value is None:
        return False
    return compile_pattern(pattern).search(str(value)) is not None


def validate(pattern: str, max_length: int | None = None) -> str:
    """The pattern of a user's query, checked once: length first, then syntax.
    `max_length` defaults to EVENTS_MAX_REGEX_LENGTH, so every dialect that calls
    this honours the setting."""
    if max_length is None:
        max_length = settings().max_regex_length
    if len(pattern) > max_length:
        raise InvalidRegex(f"regular expression longer than {max_length} characters")
    compile_pattern(pattern)
    return pattern
