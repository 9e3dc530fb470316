"""PuppetDB 1.4 (document 002) for `/experimental/events`: the JSON query -> the common
AST, and the request parameters, with PuppetDB's error texts
(../shared/notes/puppetdb.md 1.1-1.6; spec 002)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from ... import limits, timestamps
from ...config import settings
from ...errors import ApiError
from ...query import regex
from ...query.ast import Compare, Match, Node
from ..catalogue import ORDER_FIELDS, V1_4_QUERY_FIELDS
from ..model import canonical_json
from . import (QueryError, accepts_json, bad_request, numeric_value, page_limit, page_offset,
               parse_tree, shown, within_cost)

INEQUALITIES = (">", ">=", "<", "<=")
REGEX_KINDS = ("string", "number")


def parse_text(text: str) -> Node:
    try:
        term = limits.query_json(text, "query")
    except ValueError as error:       # limits.TooComplex is one
        raise QueryError(str(error)) from None
    return parse(term)


def parse(term: object, depth: int = 0) -> Node:
    return within_cost(parse_tree(term, _leaf_term, depth))


def _leaf_term(operator: object, arguments: list, term: list) -> Node:
    if operator in ("=", "~") + INEQUALITIES:
        if len(arguments) != 2:
            raise QueryError(f"{operator} requires exactly two arguments, "
                             f"but {len(arguments)} were supplied")
        return _leaf(operator, arguments[0], arguments[1])
    raise QueryError(f"{json.dumps(term)} is not well-formed: query operator '{term[0]}' is unknown")


def _not_queryable(field: object) -> QueryError:
    name = field.replace("-", "_") if isinstance(field, str) else json.dumps(field)
    return QueryError(f"{name} is not a queryable object for resource events")


def _leaf(operator: str, field: object, value: object) -> Node:
    if not isinstance(field, str) or field not in V1_4_QUERY_FIELDS:
        if operator in INEQUALITIES and isinstance(field, str):
            raise QueryError(f"{operator} operator does not support object '{field}' "
                             f"for resource events")
        raise _not_queryable(field)
    name, kind = V1_4_QUERY_FIELDS[field]
    if operator in INEQUALITIES:
        if kind != "timestamp":
            raise QueryError(f"{operator} operator does not support object '{field}' "
                             f"for resource events")
        return Compare(name, operator, _timestamp(value))
    if kind == "timestamp":
        raise _not_queryable(field)
    if operator == "~":
        if kind not in REGEX_KINDS or not isinstance(value, str):
            raise _not_queryable(field)
        try:
            return Match(name, regex.validate(value, settings().max_regex_length))
        except regex.InvalidRegex as error:
            raise QueryError(str(error)) from None
    if kind == "json":
        return Compare(name, "=", canonical_json(value))
    if kind == "boolean":
        # Clojure truthiness: only null and false are false (notes 1.2).
        return Compare(name, "=", value is not None and value is not False)
    if kind == "number":
        return Compare(name, "=", numeric_value(value, field, reals=False))
    if not isinstance(value, str):
        # Strings compare only with strings; a number would never match a stored string.
        value = json.dumps(value)
    return Compare(name, "=", value)


def _timestamp(value: object) -> str:
    if not isinstance(value, str):
        raise QueryError(f"'{json.dumps(value)}' is not a valid timestamp value")
    try:
        return timestamps.stored_millis(value)     # PuppetDB keeps milliseconds
    except (timestamps.InvalidTimestamp, TypeError):
        raise QueryError(f"'{value}' is not a valid timestamp value") from None


# ------------------------------------------------ /experimental/events parameters

EVENT_PARAMS = {"query", "limit", "offset", "order-by", "include-total"}


@dataclass(frozen=True)
class EventQuery:
    where: object
    order: tuple[tuple[str, str], ...]
    limit: int | None
    offset: int
    include_total: bool



def event_query(params: dict, accept: str | None) -> EventQuery:
    """Order as at R (notes 1.1): paging params, other params, query, Accept."""
    limit = page_limit(params.get("limit"))
    offset = page_offset(params.get("offset"))
    order = order_by(params.get("order-by"), "order-by", ORDER_FIELDS,
                     f"'{', '.join(ORDER_FIELDS)}'")
    for name in sorted(params):
        if name not in EVENT_PARAMS:
            raise bad_request(f"Unsupported query parameter '{name}'")
    if "query" not in params:
        raise bad_request("Missing required query parameter 'query'")
    if not accepts_json(accept):
        raise ApiError(406, "not-acceptable", "must accept application/json")
    try:
        where = parse_text(params["query"])
    except QueryError as error:
        raise bad_request(str(error)) from None
    include_total = "include-total" in params and params["include-total"].strip().lower() in ("", "true")
    return EventQuery(where, order, limit, offset, include_total)


def order_by(raw: object, name: str, columns, supported: str) -> tuple[tuple[str, str], ...]:
    """1.5.0's validation (notes 1.6) of the 1.4 endpoint's `order-by`: an array of
    {"field", "order"} maps, as JSON text. `name` is the parameter as the API spells
    it; `supported` lists `columns` in that API's wording. v4 has its own, with
    PuppetDB 7's texts (dialects/v4.py order_by)."""
    if raw is None:
        return ()
    try:
        terms = limits.query_value(raw, name)      # text, or a v4 POST body's value
    except limits.TooComplex as error:
        raise bad_request(str(error)) from None
    except ValueError:
        terms = None
    if not isinstance(terms, list):
        raise bad_request(f"Illegal value '{shown(raw)}' for :{name}; expected an array of maps.")
    order = []
    for term in terms:
        text = json.dumps(term)
        if not isinstance(term, dict):
            raise bad_request(f"Illegal value '{text}' in :{name}; expected a map.")
        for key in term:
            if key not in ("field", "order"):
                raise bad_request(f"Illegal value '{text}' in :{name}; unknown key '{key}'.")
        if "field" not in term:
            raise bad_request(f"Illegal value '{text}' in :{name}; missing required key 'field'.")
        column = term["field"]
        if column not in columns:
            raise bad_request(f"Unrecognized column '{column}' specified in :{name}; "
                              f"Supported columns are {supported}")
        direction = term.get("order", "asc")
        if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
            raise bad_request(f"Unsupported value {direction} for :order; "
                              f"expected one of 'DESC' or 'ASC'")
        order.append((column, direction.lower()))
    return tuple(order)

