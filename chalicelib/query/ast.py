"""The common filter AST.

Every API parses its own query syntax into these nodes; each storage adapter
compiles them (`sql.py`, `dynamodb.py`) and `evaluate.py` defines what they mean.

Semantics shared by all three executions (PuppetDB's rules, ../shared/notes/puppetdb.md 1.3):
- a comparison, match, membership or substring test on a NULL value is false,
  and `Not` of it is true: the logic is two-valued, never SQL's unknown;
- on an `array` field, `Compare("=")`, `Match` and `In` hold when any element does;
- values are already in stored form (timestamps fixed-width UTC strings,
  JSON values canonical JSON text): the API layer converts them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterator, Union

COMPARISONS = ("=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class And:
    terms: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    terms: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    term: "Node"


@dataclass(frozen=True)
class Compare:
    field: str
    op: str          # one of COMPARISONS
    value: object

    def __post_init__(self):
        if self.op not in COMPARISONS:
            raise ValueError(f"unknown comparison {self.op!r}")


@dataclass(frozen=True)
class In:
    field: str
    values: tuple

    @cached_property
    def strings(self) -> frozenset:
        """The string values, for a membership test in one lookup (a latest-report
        test holds one hash per node)."""
        return frozenset(v for v in self.values if isinstance(v, str))


@dataclass(frozen=True)
class Match:
    """Unanchored regular-expression search (PuppetDB's `~`)."""
    field: str
    pattern: str


@dataclass(frozen=True)
class Contains:
    """Substring test (the activity API's partial `ip_address` match)."""
    field: str
    text: str


@dataclass(frozen=True)
class IsNull:
    field: str
    null: bool = True


Node = Union[And, Or, Not, Compare, In, Match, Contains, IsNull]
LEAVES = (Compare, In, Match, Contains, IsNull)

EVERYTHING = And(())


def all_of(*terms: Node) -> Node:
    """A conjunction, flattened; a single term stands alone."""
    flat: list[Node] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, And) else (term,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def any_of(*terms: Node) -> Node:
    flat: list[Node] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, Or) else (term,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def conjuncts(node: Node) -> tuple[Node, ...]:
    return node.terms if isinstance(node, And) else (node,)


def fields(node: Node) -> Iterator[str]:
    if isinstance(node, (And, Or)):
        for term in node.terms:
            yield from fields(term)
    elif isinstance(node, Not):
        yield from fields(node.term)
    else:
        yield node.field
