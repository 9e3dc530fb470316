"""The reference evaluator: the AST over plain dicts.

This defines what every node means; SQL and DynamoDB executions are tested
against it. The DynamoDB adapter also uses it for what DynamoDB cannot express
(regular expressions).
"""
from __future__ import annotations

import operator
from functools import cmp_to_key
from typing import Callable, Iterable, Mapping, Sequence

from . import regex
from .ast import And, Compare, Contains, In, IsNull, Match, Node, Not, Or

_OPS: dict[str, Callable[[object, object], bool]] = {
    "=": operator.eq, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


def matches(node: Node, record: Mapping[str, object]) -> bool:
    if isinstance(node, And):
        return all(matches(term, record) for term in node.terms)
    if isinstance(node, Or):
        return any(matches(term, record) for term in node.terms)
    if isinstance(node, Not):
        return not matches(node.term, record)
    value = record.get(node.field)
    if isinstance(node, IsNull):
        return (value is None) == node.null
    if value is None:
        return False
    candidates = value if isinstance(value, (list, tuple)) else (value,)
    return any(_leaf(node, candidate) for candidate in candidates if candidate is not None)


def _leaf(node: Node, value: object) -> bool:
    if isinstance(node, Compare):
        if isinstance(value, bool) != isinstance(node.value, bool):
            return False
        try:
            return _OPS[node.op](value, node.value)
        except TypeError:
            return False
    if isinstance(node, In):
        if isinstance(value, str):      # a string equals only a string
            return value in node.strings
        return any(value == v and isinstance(value, bool) == isinstance(v, bool)
                   for v in node.values)
    if isinstance(node, Match):
        return regex.search(node.pattern, value)
    if isinstance(node, Contains):
        return isinstance(value, str) and node.text in value
    raise TypeError(f"not a query node: {node!r}")


def compare_nulls_last(a: object, b: object) -> int:
    """Order with NULL greater than every value (PostgreSQL's default)."""
    if a is None or b is None:
        return (a is None) - (b is None)
    return (a > b) - (a < b)


def sort(records: Iterable[Mapping[str, object]],
         keys: Sequence[tuple[str, str]]) -> list[Mapping[str, object]]:
    def cmp(x, y):
        for name, direction in keys:
            result = compare_nulls_last(x.get(name), y.get(name))
            if result:
                return -result if direction == "desc" else result
        return 0
    return sorted(records, key=cmp_to_key(cmp))


def select(node: Node, records: Iterable[Mapping[str, object]],
           keys: Sequence[tuple[str, str]], offset: int = 0,
           limit: int | None = None) -> tuple[list[Mapping[str, object]], int]:
    """Filter, order and slice: the page and the total before paging."""
    found = sort((r for r in records if matches(node, r)), keys)
    end = None if limit is None else offset + limit
    return found[offset:end], len(found)
