"""The static cost of a query: caps checked on the common AST, after a dialect
parses it and before anything runs (issue 20; docs/security.md, "Query cost").

Every dialect (PuppetDB 1.4 and v4, GET and POST, the activity v1 id lists and
v2 `query` items, and any later front end) calls `check` on what it parsed, so
the caps are the same everywhere and on both adapters. The dialect turns
`TooCostly` into its own 400.

- terms: the tests of the whole query; an `in` counts one per value, since it is
  shorthand for an `or` of equalities (the activity v1 id lists are such an `or`);
- width: the terms of one `and`/`or`, the values of one `in`;
- depth: the nesting of `and`/`or`/`not`, a test being one level (the limit of the
  JSON text's nesting, EVENTS_MAX_QUERY_DEPTH, so a dialect without JSON text, or a
  v4 POST body's parsed value, is held to it too);
- regexes: the `~` tests, each a pass of RE2 over every candidate row.

What the caps leave is bounded at run time by the request's read budget (query/budget.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings, settings
from .ast import And, In, Match, Node, Not, Or


class TooCostly(ValueError):
    """A query over one of the caps; the message names the limit and its setting."""


@dataclass(frozen=True)
class Caps:
    terms: int
    width: int
    depth: int
    regexes: int

    @classmethod
    def of(cls, config: Settings | None = None) -> "Caps":
        config = config or settings()
        return cls(terms=config.max_query_terms, width=config.max_query_width,
                   depth=config.max_query_depth, regexes=config.max_query_regexes)


def check(node: Node, caps: Caps | None = None) -> Node:
    """`node` unchanged when it is within `caps` (default: the settings); else
    TooCostly. Iterative, so no query shape can exhaust Python's stack here."""
    caps = caps or Caps.of()
    terms = regexes = 0
    pending: list[tuple[Node, int]] = [(node, 1)]
    while pending:
        term, level = pending.pop()
        if level > caps.depth:
            raise TooCostly(f"The query is nested more than {caps.depth} levels deep "
                            "(EVENTS_MAX_QUERY_DEPTH)")
        if isinstance(term, (And, Or)):
            _width(len(term.terms), caps, "terms in one 'and'" if isinstance(term, And)
                   else "alternatives in one 'or'")
            pending.extend((t, level + 1) for t in term.terms)
        elif isinstance(term, Not):
            pending.append((term.term, level + 1))
        elif isinstance(term, In):
            _width(len(term.values), caps, "values in one 'in'")
            terms += max(1, len(term.values))
        else:
            terms += 1
            regexes += isinstance(term, Match)
    if terms > caps.terms:
        raise TooCostly(f"The query has {terms} terms; the limit is {caps.terms} "
                        "(EVENTS_MAX_QUERY_TERMS)")
    if regexes > caps.regexes:
        raise TooCostly(f"The query has {regexes} regular expressions; the limit is "
                        f"{caps.regexes} (EVENTS_MAX_QUERY_REGEXES)")
    return node


def _width(count: int, caps: Caps, what: str) -> None:
    if count > caps.width:
        raise TooCostly(f"The query has {count} {what}; the limit is {caps.width} "
                        "(EVENTS_MAX_QUERY_WIDTH)")
