"""v4 request parameters (URL query or, for POST, a JSON body) -> what the
queries need, with PuppetDB 7's error texts (../shared/notes/puppetdb.md 3;
PDB http/handlers.clj, query/paging.clj)."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

from .. import limits, timestamps
from ..errors import ApiError
from ..query.ast import EVERYTHING, Node
from . import v4query
from .dialects import extract
from .parsing import accepts_json, bad_request, page_limit, page_offset
from .query import QueryError
from .v4fields import COUNT_BY, COUNTS, SUMMARIZE_BY, Entity

GLOBAL = {"pretty", "timeout", "explain"}         # accepted and ignored
PAGING = {"limit", "offset", "order_by", "include_total"}
DISTINCT = {"distinct_resources", "distinct_start_time", "distinct_end_time"}
COUNTING = {"summarize_by", "count_by", "counts_filter"}

EVENTS_PARAMS = {"query"} | PAGING | DISTINCT | GLOBAL
REPORTS_PARAMS = {"query"} | PAGING | GLOBAL
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


def parse(params: dict, accept: str | None, entity: Entity, allowed: set[str], *,
          counting: bool = False, aggregate: bool = False) -> Request:
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
        plan, raw = (None, None) if counting else extract.take(params.get("query"), entity)
        raw = params.get("query") if counting else raw
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
        return v4query.parse_text(raw, entity, name)
    try:
        term = limits.query_value(raw, name)
    except limits.TooComplex as error:
        raise QueryError(str(error)) from None
    return v4query.parse(term, entity)


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
