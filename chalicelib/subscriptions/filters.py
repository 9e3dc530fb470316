"""A subscription's `filter`, in each source's own query language, evaluated on each
new record by the reference evaluator (query/evaluate.py).

- puppetdb.report / puppetdb.event: PuppetDB's v4 AST over the reports / events
  entity (puppetdb/dialects/v4.py: the same fields, operators and error texts as
  /pdb/query/v4), e.g. `["=", "status", "failed"]`;
- orchestrator.job_event / activity.commit: the same array shape over the common
  AST (query/ast.py) with the fields below, e.g. `["=", "type", "node_failed"]`.
  Operators: `=` `<` `<=` `>` `>=` `~` `in` `null?`, combined by `and` `or` `not`.

`latest_report?` and `node_state` are refused: whether a report is a node's latest,
or whether its node is active, is not a property of the new record (a later arrival
or a deactivation changes it), so the reference evaluator cannot answer them.
"""
from __future__ import annotations

import json
from typing import Mapping

from .. import timestamps
from ..errors import validation_error
from ..puppetdb import catalogue
from ..puppetdb.dialects import QueryError, parse_tree, within_cost
from ..puppetdb.dialects import v4 as v4query
from ..query import evaluate, regex
from ..query.ast import EVERYTHING, Compare, In, IsNull, Match, Node, fields
from . import model

# Common-AST sources: field -> kind ("string", "number", "timestamp", "array").
COMMON_FIELDS: dict[str, dict[str, str]] = {
    model.JOB_EVENT: {"id": "number", "job": "number", "type": "string",
                      "timestamp": "timestamp", "message": "string", "node": "string"},
    model.COMMIT: {"service_id": "string", "subject_id": "string", "subject_type": "string",
                   "object_types": "array", "object_ids": "array", "ip_address": "string",
                   "timestamp": "timestamp", "sequence": "number"},
}
PUPPETDB_ENTITIES = {model.REPORT: catalogue.REPORTS, model.EVENT: catalogue.EVENTS}
# AST field -> the term a subscription filter cannot use (see the module's docstring).
NOT_OF_THE_RECORD = {"latest_report": "latest_report?", v4query.NODE_STATE: v4query.NODE_STATE}
_ORDERED = ("number", "timestamp")


def parse(source: str, query: object) -> Node:
    """`query` (a JSON value) -> the common AST for `source`; 400 validation-error
    naming the source and PuppetDB's / the parser's message when it is not valid."""
    try:
        if source in PUPPETDB_ENTITIES:
            node = v4query.parse(query, PUPPETDB_ENTITIES[source])
            refused = sorted(NOT_OF_THE_RECORD.keys() & set(fields(node)))
            if refused:
                raise QueryError(f"{NOT_OF_THE_RECORD[refused[0]]} cannot filter a "
                                 "subscription: it is not a property of the new record")
            return node
        return within_cost(parse_tree(query, lambda op, args, term: _leaf(source, op, args)))
    except QueryError as error:
        raise validation_error(f"Invalid filter for {source}: {error}", source=source) from None


def _leaf(source: str, operator: object, arguments: list) -> Node:
    known = COMMON_FIELDS[source]
    if operator not in ("=", "<", "<=", ">", ">=", "~", "in", "null?"):
        raise QueryError(f"{json.dumps(operator)} is not a valid operator")
    if len(arguments) != 2:
        raise QueryError(f"{operator} takes exactly two arguments, but {len(arguments)} were supplied")
    name, value = arguments
    if name not in known:
        raise QueryError(f"'{name}' is not a queryable field; known fields: "
                         f"{', '.join(sorted(known))}")
    kind = known[name]
    if operator == "null?":
        if not isinstance(value, bool):
            raise QueryError("null? takes true or false")
        return IsNull(name, value)
    if operator == "in":
        if not isinstance(value, list) or not value:
            raise QueryError("in takes a non-empty array of values")
        return In(name, tuple(_value(name, kind, v) for v in value))
    if operator == "~":
        if not isinstance(value, str) or kind not in ("string", "array"):
            raise QueryError(f"~ needs a string pattern on a string field, not {name}")
        try:
            return Match(name, regex.validate(value))
        except regex.InvalidRegex as error:
            raise QueryError(str(error)) from None
    if operator != "=" and kind not in _ORDERED:
        raise QueryError(f"{operator} cannot be applied to {name}")
    return Compare(name, operator, _value(name, kind, value))


def _value(name: str, kind: str, value: object) -> object:
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int):
            raise QueryError(f"{name} takes an integer, not {json.dumps(value)}")
        return value
    if not isinstance(value, str):
        raise QueryError(f"{name} takes a string, not {json.dumps(value)}")
    if kind == "timestamp":
        try:
            return timestamps.stored(value)
        except ValueError:
            raise QueryError(f"{value!r} is not a valid timestamp for {name}") from None
    return value


def compile_filters(sources, raw: object) -> dict[str, object]:
    """The subscription's `filter` as stored: source -> its query. `raw` is one query
    (for every source: each must accept it) or an object of source -> query."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - set(sources))
        if unknown:
            raise validation_error(f"filter names sources the subscription lacks: {', '.join(unknown)}")
        chosen = {source: query for source, query in raw.items() if query is not None}
    else:
        chosen = {source: raw for source in sources}
    for source, query in chosen.items():
        parse(source, query)
    return chosen


def matcher(filters: Mapping[str, object], source: str):
    """A predicate on `source`'s records (evaluation view) for the stored filters."""
    query = filters.get(source)
    node = EVERYTHING if query is None else parse(source, query)
    if node == EVERYTHING:
        return lambda record: True
    return lambda record: evaluate.matches(node, evaluation_view(source, record))


def evaluation_view(source: str, record: Mapping) -> Mapping:
    """The record as the evaluator reads it: arrays as lists, details flattened."""
    if source == model.EVENT:
        path = record.get("containment_path")
        if isinstance(path, str):
            return {**record, "containment_path": json.loads(path)}
        return record
    if source == model.JOB_EVENT:
        details = record.get("details") or {}
        return {**record, "node": details.get("node") if isinstance(details, Mapping) else None}
    if source == model.COMMIT:
        objects = record.get("objects") or ()
        subject = record.get("subject") or {}
        return {**record, "subject_id": subject.get("id"),
                "subject_type": subject.get("type") or "users",
                "object_types": sorted({o.get("type") for o in objects if o.get("type")}),
                "object_ids": sorted({o.get("id") for o in objects if o.get("id")})}
    return record
