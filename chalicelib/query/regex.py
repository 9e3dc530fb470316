"""Regular expressions that cannot hang a worker.

Patterns run on RE2 (google-re2), a linear-time engine without backtracking, so
no pattern can cause catastrophic backtracking. The SQLite REGEXP function, the
DynamoDB residual filter and the reference evaluator all call `search`, so the
three executions agree on the dialect.
"""
from __future__ import annotations

from functools import lru_cache

import re2

MAX_PATTERN_LENGTH = 1024

_OPTIONS = re2.Options()
_OPTIONS.max_mem = 8 << 20       # a bound on compiled size: huge repetitions fail to compile


class InvalidRegex(ValueError):
    pass


@lru_cache(maxsize=512)
def compile_pattern(pattern: str):
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidRegex(f"regular expression longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as error:
        raise InvalidRegex(f"invalid regular expression: {error}") from None


def search(pattern: str, value: object) -> bool:
    if value is None:
        return False
    return compile_pattern(pattern).search(str(value)) is not None


def validate(pattern: str) -> str:
    compile_pattern(pattern)
    return pattern
