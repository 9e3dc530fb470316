"""AST -> SQLite WHERE clause and parameters.

Columns are given per entity as a mapping from AST field to a SQL expression
and a kind; values always travel as parameters. Leaves are made two-valued
(`expr IS NOT NULL AND ...`) so that `NOT` of a test on NULL is true, as in
the reference evaluator. `REGEXP` is registered on every connection
(storage/sqlite) and calls `query.regex.search`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from .ast import And, Compare, Contains, In, IsNull, Match, Node, Not, Or


@dataclass(frozen=True)
class Column:
    expression: str          # SQL expression, e.g. "e.certname"
    kind: str = "scalar"     # "scalar", "array" (a JSON array in a TEXT column) or "related"
    # kind "related": the values are rows of another table (an indexed one-to-many
    # side table); `expression` is "table.column" and `link` is (outer key expression,
    # the table's column holding it), compiled to `outer IN (SELECT fk FROM table WHERE test)`
    # so SQLite can use the side table's index on the column.
    link: tuple[str, str] | None = None


CHAIN = 64       # parts of one flat AND/OR chain (see _chain)


def column(spec: str | Column) -> Column:
    return spec if isinstance(spec, Column) else Column(spec)


def where(node: Node, columns: Mapping[str, str | Column]) -> tuple[str, list]:
    params: list = []
    return _compile(node, columns, params), params


def _compile(node: Node, columns, params: list) -> str:
    if isinstance(node, (And, Or)):
        if not node.terms:
            return "1" if isinstance(node, And) else "0"
        joiner = " AND " if isinstance(node, And) else " OR "
        terms = node.terms if isinstance(node, And) else _equalities_as_in(node.terms)
        # Nested terms first: SQLite's parser reduces a chain as it reads it, so what
        # stays on its stack (100 entries) is the nesting before a term, and nested
        # terms last overflowed it ("parser stack overflow") at about 25 levels.
        ordered = sorted(terms, key=lambda t: not isinstance(t, (And, Or, Not)))
        return _chain([_compile(t, columns, params) for t in ordered], joiner)
    if isinstance(node, Not):
        if isinstance(node.term, Not):      # two-valued logic: NOT NOT x is x
            return _compile(node.term.term, columns, params)
        return "(NOT " + _compile(node.term, columns, params) + ")"
    col = column(columns[node.field])
    if isinstance(node, IsNull):
        return f"({col.expression} IS {'' if node.null else 'NOT '}NULL)"
    if col.kind == "related":
        table = col.expression.split(".", 1)[0]
        outer, foreign = col.link
        test = _scalar_test(node, col.expression, params)
        return f"({outer} IN (SELECT {foreign} FROM {table} WHERE {test}))"
    if col.kind == "array":
        test = _scalar_test(node, "je.value", params)
        return (f"({col.expression} IS NOT NULL AND EXISTS "
                f"(SELECT 1 FROM json_each({col.expression}) AS je WHERE {test}))")
    return f"({col.expression} IS NOT NULL AND {_scalar_test(node, col.expression, params)})"


def _chain(parts: list[str], joiner: str) -> str:
    """Parts joined by AND/OR. `a OR b OR c` is a left-deep tree in SQLite, whose
    depth limit is 1000 ("Expression tree is too large"): a long list becomes a tree
    of chains of at most CHAIN parts, so depth grows with CHAIN x log(n), not n."""
    if len(parts) > CHAIN:
        parts = [_chain(parts[i:i + CHAIN], joiner) for i in range(0, len(parts), CHAIN)]
        return _chain(parts, joiner)
    return "(" + joiner.join(parts) + ")"


def _equalities_as_in(terms: tuple[Node, ...]) -> list[Node]:
    """The terms of an `or`, with its equalities on one field as one `In` (at the
    first one's place): a flat list that adds no depth, and one index probe (the
    activity v1 id lists and `["or", ["=", f, a], ["=", f, b], ...]`). Equal in
    meaning: `In` holds when `=` holds for one of its values, on every kind of column."""
    by_field: dict[str, list] = {}
    for term in terms:
        if isinstance(term, Compare) and term.op == "=":
            by_field.setdefault(term.field, []).append(term.value)
    merged: list[Node] = []
    for term in terms:
        equality = isinstance(term, Compare) and term.op == "="
        if equality and len(by_field.get(term.field, ())) > 1:
            merged.append(In(term.field, tuple(by_field.pop(term.field))))
        elif equality and term.field not in by_field:
            continue            # already in that field's In
        else:
            merged.append(term)
    return merged


def _scalar_test(node: Node, expression: str, params: list) -> str:
    if isinstance(node, Compare):
        params.append(param(node.value))
        return f"{expression} {node.op} ?"
    if isinstance(node, In):
        if not node.values:
            return "0"
        params.extend(param(v) for v in node.values)
        return f"{expression} IN ({', '.join('?' * len(node.values))})"
    if isinstance(node, Match):
        params.append(node.pattern)
        return f"{expression} REGEXP ?"
    if isinstance(node, Contains):
        params.append(node.text)
        return f"instr({expression}, ?) > 0"
    raise TypeError(f"not a query node: {node!r}")


def param(value: object) -> object:
    """A Python value as SQLite stores it (booleans as 1/0)."""
    return int(value) if isinstance(value, bool) else value


def order_by(keys: Sequence[tuple[str, str]], columns: Mapping[str, str | Column],
             not_null: frozenset[str] = frozenset()) -> str:
    """ORDER BY with NULLs sorting after every value, as in the evaluator. Fields in
    `not_null` (NOT NULL columns) order by the bare column, so an index can give the order."""
    parts = []
    for name, direction in keys:
        expression = column(columns[name]).expression
        word = "DESC" if direction == "desc" else "ASC"
        if name not in not_null:
            parts.append(f"({expression} IS NULL) {word}")
        parts.append(f"{expression} {word}")
    return ", ".join(parts)


def aggregate_select(group_by: Sequence[str], functions: Sequence, columns: Mapping[str, str | Column]
                     ) -> tuple[str, str, str]:
    """SELECT list, GROUP BY and ORDER BY for query.aggregate's `rows` in SQL: the group
    fields, then each aggregate.Function (count(*), avg(col), ...). The GROUP BY is empty
    without `group_by` (one row, as the rule says); groups are ordered as the rule orders
    them (ascending, NULLs last)."""
    grouped = [column(columns[name]).expression for name in group_by]
    computed = [f"{f.name}({'*' if f.field is None else column(columns[f.field]).expression})"
                for f in functions]
    selected = ", ".join(grouped + computed) or "count(*)"     # still one row, as the rule
    group = ("GROUP BY " + ", ".join(grouped)) if grouped else ""
    order = ("ORDER BY " + order_by([(n, "asc") for n in group_by], columns)) if grouped else ""
    return selected, group, order
