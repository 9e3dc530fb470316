"""PuppetDB 1.4 event query JSON -> the common AST, with PuppetDB's error texts
(../shared/notes/puppetdb.md 1.2-1.4; spec 002)."""
from __future__ import annotations

import json
from typing import Callable

from .. import limits, timestamps
from ..config import settings
from ..query import cost, regex
from ..query.ast import And, Compare, Match, Node, Not, Or
from .model import canonical_json


class QueryError(ValueError):
    """A 400 with PuppetDB's message."""


# field -> (AST field, kind). Kinds decide which operators apply (notes 1.2 table).
FIELDS = {
    "certname": ("certname", "string"),
    "report": ("report", "string"),
    "status": ("status", "string"),
    "resource-type": ("resource_type", "string"),
    "resource-title": ("resource_title", "string"),
    "property": ("property", "string"),
    "message": ("message", "string"),
    "file": ("file", "string"),
    "containing-class": ("containing_class", "string"),
    "line": ("line", "number"),
    "new-value": ("new_value", "json"),
    "old-value": ("old_value", "json"),
    "timestamp": ("timestamp", "timestamp"),
    "latest-report": ("latest_report", "boolean"),
}
INEQUALITIES = (">", ">=", "<", "<=")
REGEX_KINDS = ("string", "number")
MAX_DEPTH = 100                   # well inside Python's recursion limit


def parse_text(text: str) -> Node:
    try:
        term = limits.query_json(text, "query")
    except ValueError as error:       # limits.TooComplex is one
        raise QueryError(str(error)) from None
    return parse(term)


def parse(term: object, depth: int = 0) -> Node:
    return within_cost(parse_tree(term, _leaf_term, depth))


def within_cost(node: Node) -> Node:
    """The parsed query, held to the cost caps (query/cost.py) as PuppetDB's 400."""
    try:
        return cost.check(node)
    except cost.TooCostly as error:
        raise QueryError(str(error)) from None


# `and`/`or` without terms: 1.4's text (document 002); v4 passes PuppetDB 7's.
EMPTY_COMBINATION = "{operator} requires at least one term"


def parse_tree(term: object, leaf: Callable[[object, list, list], Node], depth: int = 0,
               empty: str = EMPTY_COMBINATION) -> Node:
    """The shape PuppetDB 1.4 and v4 queries share: an array led by its operator;
    `and`/`or`/`not` combine terms, and every other operator is a leaf that
    `leaf(operator, arguments, term)` parses (or refuses as unknown). `empty` is the
    dialect's text for `and`/`or` without terms."""
    if depth > MAX_DEPTH:
        # parse_text refuses deep text first (limits.query_json); this guards direct callers.
        raise QueryError(f"The query is nested more than {MAX_DEPTH} levels deep")
    if not isinstance(term, list):
        # PuppetDB 1.4 answers 500 (a failed precondition); we answer 400 (notes 1.4).
        raise QueryError(f"{json.dumps(term)} is not well-formed: queries must be an array")
    if not term:
        raise QueryError("[] is not well-formed: queries must contain at least one operator")
    operator = term[0].lower() if isinstance(term[0], str) else term[0]
    arguments = term[1:]
    if operator in ("and", "or"):
        if not arguments:
            raise QueryError(empty.format(operator=operator))
        terms = tuple(parse_tree(t, leaf, depth + 1, empty) for t in arguments)
        return And(terms) if operator == "and" else Or(terms)
    if operator == "not":
        if len(arguments) != 1:
            raise QueryError(f"'not' takes exactly one argument, but {len(arguments)} were supplied")
        return Not(parse_tree(arguments[0], leaf, depth + 1, empty))
    return leaf(operator, arguments, term)


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
    if not isinstance(field, str) or field not in FIELDS:
        if operator in INEQUALITIES and isinstance(field, str):
            raise QueryError(f"{operator} operator does not support object '{field}' "
                             f"for resource events")
        raise _not_queryable(field)
    name, kind = FIELDS[field]
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
        if not isinstance(value, int) or isinstance(value, bool):
            raise QueryError(f'Argument "{value}" is incompatible with numeric field "{field}".')
        return Compare(name, "=", value)
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
