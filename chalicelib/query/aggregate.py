"""Aggregates over the common AST's records: PuppetDB v4's `extract` with
`["function", ...]` and `group_by` (PuppetDB 7 query_eng/engine.clj, which
compiles them to SQL GROUP BY; measured against PuppetDB 7.12.1, tests/conformance).

`rows` is the reference rule, SQL's meaning over plain dicts; SQLite runs the same
in SQL (sql.aggregate_select) and DynamoDB runs `rows` over its keyed reads:
- one row per distinct combination of the `group_by` fields (NULL is a value of
  its own, as in SQL GROUP BY); without `group_by`, exactly one row, also over
  no records (`count` 0, the others None);
- `count()` counts records, `count(f)` those where f is not NULL;
- `avg`, `sum`, `min`, `max` skip NULLs and are None when nothing is left;
  `avg` is a float, `sum` of integers an integer;
- rows come ordered by their group values, ascending, NULLs last.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .evaluate import sort

NAMES = ("count", "avg", "sum", "min", "max")


@dataclass(frozen=True)
class Function:
    name: str                  # one of NAMES
    field: str | None = None   # a stored field; None only for count()

    def __post_init__(self):
        if self.name not in NAMES:
            raise ValueError(f"unknown aggregate function {self.name!r}")
        if self.field is None and self.name != "count":
            raise ValueError(f"{self.name} needs a field")

    @property
    def key(self) -> str:
        """The name a result row holds it under: `count(*)`, `avg(line)`."""
        return f"{self.name}({self.field or '*'})"


def _apply(function: Function, records: list[Mapping[str, object]]) -> object:
    if function.field is None:
        return len(records)
    values = [r.get(function.field) for r in records]
    values = [v for v in values if v is not None]
    if function.name == "count":
        return len(values)
    if not values:
        return None
    if function.name == "avg":
        return sum(values) / len(values)
    if function.name == "sum":
        return sum(values)
    return min(values) if function.name == "min" else max(values)


def rows(records: Iterable[Mapping[str, object]], group_by: Sequence[str],
         functions: Sequence[Function]) -> list[dict]:
    """Each group's `group_by` values and each function's result under its `key`."""
    groups: dict[tuple, list] = {}
    for record in records:
        groups.setdefault(tuple(record.get(f) for f in group_by), []).append(record)
    if not group_by and not groups:
        groups[()] = []
    found = [{**dict(zip(group_by, values)),
              **{f.key: _apply(f, members) for f in functions}}
             for values, members in groups.items()]
    return sort(found, [(f, "asc") for f in group_by])
