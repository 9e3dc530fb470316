"""PuppetDB v4: AST queries -> the common AST, checked against an entity's fields
(catalogue.py), and the request parameters (URL query or, for POST, a JSON body;
PDB http/handlers.clj, query/paging.clj), with PuppetDB 7's error texts
(../shared/notes/puppetdb.md 3; PDB query_eng/engine.clj validate-binary-operators,
user-node->plan-node; utils.clj comma-separated-keywords).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import partial

from ... import limits, timestamps
from ...errors import ApiError
from ...query import regex
from ...query.ast import EVERYTHING, And, Compare, In, IsNull, Match, Node, Not, Or, all_of, any_of
from .. import jsonerrors
from ..catalogue import COUNT_BY, COUNTS, NODE_STATES, SUMMARIZE_BY, Entity, Field
from ..model import canonical_json
from . import extract
from . import (QueryError, accepts_json, bad_request, numeric_value, page_limit, page_offset,
               parse_tree, within_cost)

INEQUALITIES = (">", ">=", "<", "<=")
NOTHING = Not(EVERYTHING)
BINARY = ("=", "~") + INEQUALITIES
ORDERED_TYPES = ("numeric", "timestamp")


def parse_text(text: str, entity: Entity, name: str = "query") -> Node:
    try:
        term = limits.query_json(text, name)
    except limits.TooComplex as error:
        raise QueryError(str(error)) from None
    except json.JSONDecodeError as error:
        raise QueryError(jsonerrors.message(text, error)) from None
    except ValueError as error:
        raise QueryError(f"Malformed JSON for query: {text} ({error})") from None
    return parse(term, entity)


def parse(term: object, entity: Entity) -> Node:
    tree = parse_tree(term, partial(_leaf, entity=entity),
                      empty="'{operator}' takes at least one argument, but none were supplied")
    nullable = {f.stored for f in entity.fields.values() if f.nullable}
    return three_valued(within_cost(tree), nullable)


def three_valued(node: Node, nullable: set[str]) -> Node:
    """The query as SQL's three-valued logic reads it, in the AST's two-valued terms.

    PuppetDB 7 compiles `not` to SQL NOT: `=`, `<`.. and `in` on a NULL field are
    unknown, and so is their negation, so `["not", ["=", "property", "ensure"]]` leaves
    out events without a property; `~` on NULL is false, its negation true
    (measured, tests/conformance). The AST's `Not` is two-valued (the 1.4 dialect's
    rule, document 002), so each `not` becomes "definitely false": a comparison is
    definitely false when it is false and its field is not NULL; De Morgan for
    `and`/`or`."""
    if isinstance(node, And):
        return And(tuple(three_valued(t, nullable) for t in node.terms))
    if isinstance(node, Or):
        return Or(tuple(three_valued(t, nullable) for t in node.terms))
    if isinstance(node, Not):
        return _definitely_false(node.term, nullable)
    return node


def _definitely_false(node: Node, nullable: set[str]) -> Node:
    if isinstance(node, And):
        return any_of(*(_definitely_false(t, nullable) for t in node.terms))
    if isinstance(node, Or):
        return all_of(*(_definitely_false(t, nullable) for t in node.terms))
    if isinstance(node, Not):
        return three_valued(node.term, nullable)
    if not isinstance(node, (Compare, In)) or node.field not in nullable:
        return Not(node)        # never unknown
    return all_of(Not(node), IsNull(node.field, False))


def _leaf(operator: object, arguments: list, term: list, entity: Entity) -> Node:
    if operator in BINARY or operator == "null?":
        if len(arguments) != 2:
            raise QueryError(f"{operator} requires exactly two arguments")
        name, value = arguments
        if name == NODE_STATE:
            return _node_state(operator, value)
        field = _field(name, entity)
        if operator == "null?":
            return _null(name, field, value)
        return _binary(operator, name, field, value)
    if operator == "in":
        if len(arguments) != 2:
            raise QueryError("in requires exactly two arguments")
        return _in(arguments[0], arguments[1], entity)
    raise QueryError(f"{json.dumps(term)} is not well-formed: query operator "
                     f"'{term[0]}' is unknown or not supported here")


NODE_STATE = "node_state"


def _node_state(operator: str, value: object) -> Node:
    """PuppetDB's `["=", "node_state", "active" | "inactive" | "any"]` (any case), which
    every entity takes; kept as a Compare for the query layer to resolve
    (queries.node_state). Other operators and values: PuppetDB 7's texts (measured)."""
    if operator != "=":
        raise QueryError("Value does not match schema: (not (map? nil))")
    shown = "" if value is None else edn(value, top=True)     # Clojure's (str value)
    if shown.lower() not in NODE_STATES:
        raise QueryError(f"No matching clause: {shown}")
    return Compare(NODE_STATE, "=", shown.lower())


def _field(name: object, entity: Entity) -> Field:
    if not isinstance(name, str) or name not in entity.fields:
        shown = name if isinstance(name, str) else json.dumps(name)
        raise QueryError(f"'{shown}' is not a queryable object for {entity.name}. "
                         f"Known queryable objects are {_keywords(entity.queryable)}")
    return entity.fields[name]


def _keywords(words: list[str]) -> str:
    quoted = [f"'{w}'" for w in words]
    if len(quoted) > 2:
        return ", ".join(quoted[:-1]) + ", and " + quoted[-1]
    return " and ".join(quoted)


def _not_allowed(operator: str, name: str) -> QueryError:
    if operator in INEQUALITIES:
        return QueryError(f"Query operators >,>=,<,<= are not allowed on field {name}")
    return QueryError(f"Query operator {operator} is not allowed on field {name}")


def _null(name: str, field: Field, value: object) -> Node:
    if field.type == "latest":
        raise _not_allowed("null?", name)
    # Clojure truthiness, as PuppetDB 7 reads it: only null and false are false.
    wanted = value is not None and value is not False
    if not field.nullable:
        return NOTHING if wanted else EVERYTHING
    return IsNull(field.stored, wanted)


def _binary(operator: str, name: str, field: Field, value: object) -> Node:
    if field.type == "latest":
        if operator != "=":
            raise _not_allowed(operator, name)
        # PuppetDB expands it when the value is truthy, else its negation.
        return Compare(field.stored, "=", value is not None and value is not False)
    if operator == "=" and value is None:
        return IsNull(field.stored, True)       # PDB rewrites ["=", f, null] to null?
    if operator in INEQUALITIES and field.type not in ORDERED_TYPES:
        raise _not_allowed(operator, name)
    if operator == "~":
        if field.type not in ("string", "json", "array"):
            raise _not_allowed(operator, name)
        if not isinstance(value, str):
            raise QueryError(f"Argument \"{value}\" to ~ on field {name} must be a string")
        try:
            return Match(field.stored, regex.validate(value))
        except regex.InvalidRegex as error:
            raise QueryError(str(error)) from None
    return Compare(field.stored, operator, _value(name, field, value))


def _value(name: str, field: Field, value: object) -> object:
    """A query value in stored form."""
    if field.type == "timestamp":
        return timestamp_value(value)
    if field.type == "numeric":
        return numeric_value(value, name)
    if field.type == "boolean":
        if not isinstance(value, bool):
            raise QueryError(f'Argument "{value}" is incompatible with boolean field "{name}".')
        return value
    if field.type == "json":
        return canonical_json(value)
    if not isinstance(value, str):
        # Strings compare only with strings; a number never matches a stored string.
        return json.dumps(value)
    return value


def timestamp_value(value: object) -> str:
    """A v4 time value in stored form, to the millisecond as PuppetDB keeps times: an
    ISO-8601 string, or an integer of epoch milliseconds (PuppetDB 7 coerces one so)."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return timestamps.from_epoch_millis(value)
        except timestamps.InvalidTimestamp:
            raise QueryError(f"'{value}' is not a valid timestamp value") from None
    if isinstance(value, float):
        raise QueryError("No implementation of method: :to-date-time of protocol: "
                         "#'clj-time.coerce/ICoerce found for class: java.lang.Double")
    if not isinstance(value, str):
        raise QueryError(f"'{json.dumps(value)}' is not a valid timestamp value")
    try:
        return timestamps.stored_millis(value)
    except timestamps.InvalidTimestamp:
        raise QueryError(f"'{value}' is not a valid timestamp value") from None


def _in(name: object, values: object, entity: Entity) -> Node:
    if not isinstance(name, str):
        raise QueryError("Operator 'in' on several fields needs a subquery, "
                         "which this service does not support")
    field = _field(name, entity)
    if not (isinstance(values, list) and len(values) == 2 and values[0] == "array"):
        raise QueryError("Operator 'in' supports only the form "
                         "[\"in\", <field>, [\"array\", [<value>, ...]]] here")
    if not isinstance(values[1], list):
        raise QueryError("Operator array requires a vector argument")
    if field.type == "array":
        raise QueryError("Operator in...array is not supported on array types")
    if field.type == "latest":
        raise _not_allowed("in", name)
    return In(field.stored, tuple(_value(name, field, v) for v in values[1]))


# ------------------------------------------------------------------ parameters

GLOBAL = {"pretty", "timeout", "explain"}         # accepted and ignored
PAGING = {"limit", "offset", "order_by", "include_total"}
DISTINCT = {"distinct_resources", "distinct_start_time", "distinct_end_time"}
COUNTING = {"summarize_by", "count_by", "counts_filter"}

EVENTS_PARAMS = {"query"} | PAGING | DISTINCT | GLOBAL
REPORTS_PARAMS = {"query"} | PAGING | GLOBAL
NODES_PARAMS = {"query"} | PAGING | GLOBAL
ENVIRONMENTS_PARAMS = {"query"} | PAGING | GLOBAL
EVENT_COUNTS_PARAMS = {"query"} | PAGING | DISTINCT | COUNTING | GLOBAL
AGGREGATE_PARAMS = {"query"} | DISTINCT | COUNTING | GLOBAL


@dataclass(frozen=True)
class Window:
    """`distinct_resources`: the newest event per resource within [start, end)."""
    start: str
    end: str


@dataclass(frozen=True)
class Request:
    where: Node
    order: tuple[tuple[str, str], ...]     # columns as the client named them
    limit: int | None
    offset: int
    include_total: bool
    distinct: Window | None = None
    summarize_by: tuple[str, ...] = ()
    count_by: str = "resource"
    counts_filter: Node | None = None
    extract: extract.Extract | None = None     # ["extract", ...] (dialects/extract.py)


def from_body(raw: bytes | None) -> dict:
    """A POST body: a JSON object of parameters."""
    if not raw:
        return {}
    try:
        body = limits.body_json(raw)
    except limits.TooComplex as error:
        raise bad_request(str(error)) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise bad_request(f"Malformed JSON in the request body: {error}") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object of query parameters")
    return body


def parse_request(params: dict, accept: str | None, entity: Entity, allowed: set[str], *,
                  counting: bool = False, aggregate: bool = False) -> Request:
    """A v4 request's parameters, checked in PuppetDB 7's order: unknown names, Accept
    (406), then each value (400 with PuppetDB's text)."""
    for name in sorted(params):
        if name not in allowed:
            raise bad_request(f"Unsupported query parameter '{name}'")
    if not accepts_json(accept):
        raise ApiError(406, "not-acceptable", "must accept application/json")
    summarize_by, count_by, counts_filter = _counting(params) if counting else ((), "resource", None)
    if counting and not aggregate and len(summarize_by) > 1:
        raise bad_request(f"Unsupported value for 'summarize_by': '{params['summarize_by']}'")
    order_entity = _counts_entity(summarize_by) if counting else entity
    try:
        plan, raw = (None, params.get("query")) if counting else \
            extract.take(params.get("query"), entity)
        where = EVERYTHING if raw is None else _query(raw, entity)
    except (QueryError, extract.ExtractError) as error:
        raise bad_request(str(error)) from None
    return Request(
        where=where,
        order=order_by(params.get("order_by"), order_entity),
        limit=page_limit(params.get("limit")),
        offset=page_offset(params.get("offset")),
        include_total=_flag(params.get("include_total")),
        distinct=_distinct(params),
        summarize_by=summarize_by, count_by=count_by, counts_filter=counts_filter,
        extract=plan)


def edn(value: object, top: bool = False) -> str:
    """A JSON value as Clojure prints it in PuppetDB's messages (a top-level string
    bare, as `str` prints it)."""
    if isinstance(value, str):
        return value if top else json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f":{k} {edn(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + " ".join(edn(v) for v in value) + "]"
    if value is None:
        return "nil"
    return json.dumps(value)


def order_by(raw: object, entity: Entity) -> tuple[tuple[str, str], ...]:
    """`order_by`: a JSON array of {"field", "order"} maps (a POST body may send it
    parsed), with PuppetDB 7.12's texts (PDB query/paging.clj; tests/conformance)."""
    if raw is None:
        return ()
    try:        # text, or a POST body's parsed value: both held to the query limits
        terms = limits.query_value(raw, "order_by")
    except limits.TooComplex as error:
        raise bad_request(str(error)) from None
    except ValueError:
        raise bad_request(f"Illegal value '{raw}' for :order_by; "
                          "expected a JSON array of maps.") from None
    if not isinstance(terms, list) or not all(isinstance(t, dict) for t in terms):
        raise bad_request(f"Illegal value '{edn(terms, top=True)}' for :order_by; "
                          "expected an array of maps.")
    order = []
    for term in terms:
        prefix = f"Illegal value '{edn(term)}' in :order_by; "
        for key in term:
            if key not in ("field", "order"):
                raise bad_request(prefix + f"unknown key '{key}'.")
        if "field" not in term:
            raise bad_request(prefix + "missing required key field.")
        direction = term.get("order", "asc")
        if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
            raise bad_request(prefix + "'order' must be either 'asc' or 'desc'")
        column = term["field"]
        if column not in entity.order_columns:
            raise bad_request(f"Unrecognized column '{edn(column, top=True)}' specified in "
                              ":order_by; Supported columns are "
                              + ", ".join(f"'{c}'" for c in entity.order_text))
        order.append((column, direction.lower()))
    return tuple(order)


def _query(raw: object, entity: Entity, name: str = "query") -> Node:
    """`raw`: text (a URL parameter, or a string in a POST body) or a POST body's
    parsed value; both held to the same size, depth and cost limits."""
    if isinstance(raw, str):
        return parse_text(raw, entity, name)
    try:
        term = limits.query_value(raw, name)
    except limits.TooComplex as error:
        raise QueryError(str(error)) from None
    return parse(term, entity)


def _text(raw: object) -> str:
    return raw if isinstance(raw, str) else json.dumps(raw)


def _flag(raw: object) -> bool:
    """Java parseBoolean, plus a bare flag (notes 1.6)."""
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    return _text(raw).strip().lower() in ("", "true")


def _distinct(params: dict) -> Window | None:
    wanted = _flag(params.get("distinct_resources")) if "distinct_resources" in params else False
    start, end = params.get("distinct_start_time"), params.get("distinct_end_time")
    if wanted and (start is None or end is None):
        raise bad_request("'distinct_resources' query parameter requires accompanying parameters "
                          "'distinct_start_time' and 'distinct_end_time'")
    if not wanted:
        if start is not None or end is not None:
            raise bad_request("'distinct_resources' query parameter must accompany parameters "
                              "'distinct_start_time' and 'distinct_end_time'")
        return None
    try:
        return Window(_window_time(start), _window_time(end))
    except timestamps.InvalidTimestamp:
        raise bad_request("query parameters 'distinct_start_time' and 'distinct_end_time' "
                          f"must be valid datetime strings: {_text(start)} {_text(end)}") \
            from None


def _window_time(raw: object) -> str:
    """A distinct_*_time: ISO-8601 as PuppetDB's date-time parser reads it, where bare
    digits are a year (`distinct_start_time=0` is year 0, before every event; PuppetDB
    7's aggregate-event-counts tests send it)."""
    text = _text(raw).strip()
    if text.isascii() and text.isdigit() and len(text) <= 4:
        return f"{int(text):04d}-01-01T00:00:00.000000Z"
    return timestamps.stored_millis(text)


def _counting(params: dict):
    raw = params.get("summarize_by")
    if raw is None:
        raise bad_request("Missing required query parameter 'summarize_by'")
    summarize_by = tuple(part.strip() for part in _text(raw).split(","))
    for value in summarize_by:
        if value not in SUMMARIZE_BY:
            raise bad_request(f"Unsupported value for 'summarize_by': '{value}'")
    count_by = params.get("count_by") or "resource"
    if count_by not in COUNT_BY:
        raise bad_request(f"Unsupported value for 'count_by': '{count_by}'")
    counts_filter = None
    if params.get("counts_filter") is not None:
        try:
            counts_filter = _query(params["counts_filter"], COUNTS, "counts_filter")
        except QueryError as error:
            raise bad_request(str(error)) from None
    return summarize_by, count_by, counts_filter


def _counts_entity(summarize_by: tuple[str, ...]) -> Entity:
    """event-counts orders by the counts and the subject's fields."""
    fields = SUMMARIZE_BY[summarize_by[0]] if summarize_by else ()
    columns = COUNTS.order_columns + fields
    return Entity(COUNTS.name, COUNTS.fields, columns, (), (), order_text=columns)
