"""The v4 AST's `extract` and `group_by` (PuppetDB 7 query_eng/engine.clj; measured
against PuppetDB 7.12.1, tests/conformance):

    ["extract", [<field> | ["function", "count"|"avg"|"sum"|"min"|"max", <field>?], ...],
     <filter>?, ["group_by", <field>, ...]?]

- fields only, no group_by: the entity's rows, each cut to those keys, in the order named;
- with a function or group_by: one row per group (query/aggregate.py's rule, run by the
  store's aggregate_<entity>), keys in the order named, a function's
  key being its name (`count`, `avg`, ...); count is an integer, avg a float;
- a field named beside a function must be grouped by (SQL's rule; PuppetDB 7 answers
  PostgreSQL's error as a 500, this service the same words as a 400), and so must every
  field of a group_by query;
- avg and sum take numeric fields, min and max numeric, string and timestamp ones
  (PostgreSQL's functions; others are PostgreSQL's "function ... does not exist",
  a 500 in PuppetDB 7, a 400 here); an unknown function is a 400 here (a 500 there).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ... import limits, timestamps
from ...config import settings
from ...query.aggregate import Function

# What `extract` accepts, in PuppetDB 7.12's order for its error message.
EXTRACTABLE = {
    "events": ("message", "old_value", "report_receive_time", "corrective_change",
               "containment_path", "certname", "timestamp", "run_end_time", "name",
               "configuration_version", "new_value", "resource_title", "status", "property",
               "resource_type", "line", "environment", "containing_class", "run_start_time",
               "file", "report"),
    "reports": ("receive_time", "corrective_change", "code_id", "noop", "certname",
                "puppet_version", "hash", "cached_catalog_status", "transaction_uuid",
                "configuration_version", "status", "job_id", "producer", "catalog_uuid", "logs",
                "noop_pending", "end_time", "type", "environment", "start_time",
                "resource_events", "metrics", "producer_timestamp", "report_format"),
    "nodes": ("latest_report_corrective_change", "deactivated", "expired", "report_environment",
              "certname", "facts_timestamp", "facts_environment", "cached_catalog_status",
              "latest_report_status", "latest_report_hash", "catalog_timestamp",
              "latest_report_noop_pending", "report_timestamp", "latest_report_noop",
              "catalog_environment", "latest_report_job_id"),
    "environments": ("name",),
}
# PostgreSQL's names of the field types, for its "function ... does not exist".
SQL_TYPES = {"string": "text", "numeric": "integer", "timestamp": "timestamp with time zone",
             "boolean": "boolean", "json": "jsonb", "array": "text[]"}
APPLIES = {"count": None, "avg": ("numeric",), "sum": ("numeric",),
           "min": ("numeric", "string", "timestamp"), "max": ("numeric", "string", "timestamp")}


class ExtractError(ValueError):
    """A 400 with this text."""


@dataclass(frozen=True)
class Extract:
    """What to answer: `columns` as named (field names, and Functions over public field
    names), and `group_by` fields; `aggregating` when rows are groups."""
    entity: str
    columns: tuple[str | Function, ...]
    group_by: tuple[str, ...]

    @property
    def functions(self) -> tuple[Function, ...]:
        return tuple(c for c in self.columns if isinstance(c, Function))

    @property
    def aggregating(self) -> bool:
        return bool(self.functions or self.group_by)


def is_extract(term: object) -> bool:
    return isinstance(term, list) and bool(term) and term[0] == "extract"


def split(term: list, entity) -> tuple[Extract, object | None]:
    """`["extract", ...]` -> (what to answer, the filter term or None). `entity` is the
    v4 catalogue's Entity (its `name` and `fields`)."""
    if len(term) < 2:
        raise ExtractError("extract requires at least one argument")
    named = term[1] if isinstance(term[1], list) else [term[1]]
    width = settings().max_query_width        # one SQL column each: bounded like an `in`
    # Only the columns and a group_by are measured here; the filter's width is the
    # query cost's (query/cost.py), with its own text.
    grouped = [p for p in term[2:] if isinstance(p, list) and p and p[0] == "group_by"]
    if len(named) > width or any(len(p) > width + 1 for p in grouped):
        raise ExtractError(f"The query extracts or groups by more than {width} columns "
                           "(EVENTS_MAX_QUERY_WIDTH)")
    columns = tuple(_column(c, entity) for c in named)
    condition, group_by = None, ()
    for part in term[2:]:
        if isinstance(part, list) and part and part[0] == "group_by":
            group_by = tuple(_grouped(f, entity) for f in part[1:])
        elif condition is None and isinstance(part, list) and not group_by:
            condition = part
        else:
            raise ExtractError(f"{edn(part)} is not a valid expression for \"extract\"")
    plan = Extract(entity.name, columns, group_by)
    if plan.aggregating:
        for column in columns:
            if isinstance(column, str) and column not in group_by:
                raise ExtractError(f'column "{entity.name}.{column}" must appear in the GROUP BY '
                                   "clause or be used in an aggregate function")
    return plan, condition


def edn(value: object) -> str:
    """A JSON value as Clojure prints it in PuppetDB's messages."""
    if isinstance(value, list):
        return "[" + " ".join(edn(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f":{k} {edn(v)}" for k, v in value.items()) + "}"
    return "nil" if value is None else json.dumps(value, ensure_ascii=False)


def _unknown(name: object, entity) -> ExtractError:
    fields = [f"'{f}'" for f in EXTRACTABLE[entity.name]]
    shown = name if isinstance(name, str) else json.dumps(name)
    listed = fields[0] if len(fields) == 1 else f"{', '.join(fields[:-1])}, and {fields[-1]}"
    return ExtractError(f"Can't extract unknown '{entity.name}' field '{shown}'. Acceptable "
                        f"fields are {listed}")


def _column(column: object, entity) -> str | Function:
    if isinstance(column, str):
        if column not in EXTRACTABLE[entity.name]:
            raise _unknown(column, entity)
        return column
    if not (isinstance(column, list) and len(column) >= 2 and column[0] == "function"):
        raise _unknown(column, entity)
    name, arguments = column[1], column[2:]
    if not isinstance(name, str) or name not in APPLIES:
        raise ExtractError(f"{json.dumps(name)} is not a function this service supports: "
                           "count, avg, sum, min or max")
    if not arguments:
        if name != "count":
            raise ExtractError(f"function {name}() does not exist")
        return Function("count")
    if len(arguments) > 1:
        raise ExtractError(f"function {name} takes one field, not {json.dumps(arguments)}")
    field = arguments[0]
    if not isinstance(field, str) or field not in entity.fields or \
            field not in EXTRACTABLE[entity.name]:
        raise _unknown(field, entity)
    kind = entity.fields[field].type
    if APPLIES[name] is not None and kind not in APPLIES[name]:
        raise ExtractError(f"function {name}({SQL_TYPES.get(kind, kind)}) does not exist")
    return Function(name, field)


def _grouped(field: object, entity) -> str:
    if not isinstance(field, str) or field not in entity.fields or \
            field not in EXTRACTABLE[entity.name]:
        raise ExtractError(f"{json.dumps(field)} is niether a valid column name nor function name")
    return field


def _stored(function: Function, entity) -> Function:
    return Function(function.name, function.field and entity.fields[function.field].stored)


def stored_functions(plan: Extract, entity, never_stored=frozenset()) -> tuple[Function, ...]:
    """The plan's functions over stored field names (what the port takes); those over a
    field the service never stores (a node's facts and catalog fields) are left out:
    render_groups answers them as over NULLs."""
    return tuple(_stored(f, entity) for f in plan.functions if f.field not in never_stored)


def stored_group_by(plan: Extract, entity, never_stored=frozenset()) -> tuple[str, ...]:
    """The plan's group_by in stored names; a never-stored field is one NULL group."""
    return tuple(entity.fields[f].stored for f in plan.group_by if f not in never_stored)


def render_groups(plan: Extract, entity, rows: list[dict], times=()) -> list[dict]:
    """The store's aggregate rows as PuppetDB answers them: keys in the order named,
    values in the answer's form (times, and the fields in `times`, with milliseconds
    and Z; JSON decoded). A field or function the rows lack (never stored) is NULL,
    and its count 0."""
    names = keys(plan)
    shown = []
    for row in rows:
        answer = {}
        for name, column in zip(names, plan.columns):
            if isinstance(column, Function):
                value = row.get(_stored(column, entity).key, 0 if column.name == "count" else None)
                field = column.field if column.name in ("min", "max") else None
                answer[name] = _value(entity, field, value, times)
            else:
                answer[name] = _value(entity, column, row.get(entity.fields[column].stored),
                                      times)
        shown.append(answer)
    return shown


def keys(plan: Extract) -> list[str]:
    """Each column's key: a field's name, a function's name; a name given again gets
    `_2`, `_3`, ... (PuppetDB 7: `count`, `count_2`)."""
    seen: dict[str, int] = {}
    names = []
    for column in plan.columns:
        base = column.name if isinstance(column, Function) else column
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def _value(entity, field: str | None, value: object, times=()) -> object:
    if field is None or value is None:
        return value
    kind = entity.fields[field].type
    if kind == "timestamp" or field in times:
        return timestamps.millis(value)
    if kind in ("json", "array"):
        return json.loads(value)
    return value


def project(plan: Extract, record: dict) -> dict:
    """One rendered record cut to the plan's fields, in the order named."""
    return {key: record.get(name) for key, name in zip(keys(plan), plan.columns)}





def take(raw: object, entity) -> tuple[Extract | None, object]:
    """A `query` parameter (text, or a POST body's parsed value) -> (the extract plan or
    None, the filter to parse as before). Text that is not JSON, or over the query
    limits, is handed back unchanged for the filter parser to refuse with its texts."""
    term = raw
    if isinstance(raw, str):
        try:
            term = limits.query_json(raw, "query")
        except ValueError:
            return None, raw
    if not is_extract(term):
        return None, raw
    plan, condition = split(term, entity)
    if not plan.columns and not plan.group_by:
        return None, condition           # ["extract", []]: every field, as PuppetDB
    return plan, condition
