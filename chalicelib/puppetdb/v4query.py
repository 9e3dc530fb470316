"""PuppetDB v4 AST queries -> the common AST, checked against an entity's field
catalogue (v4fields.py), with PuppetDB 7's error texts
(../shared/notes/puppetdb.md 3; PDB query_eng/engine.clj validate-binary-operators,
user-node->plan-node; utils.clj comma-separated-keywords).
"""
from __future__ import annotations

import json
from functools import partial

from .. import limits, timestamps
from ..query import regex
from ..query.ast import EVERYTHING, And, Compare, In, IsNull, Match, Node, Not, Or, all_of, any_of
from . import jsonerrors
from .model import canonical_json
from .query import QueryError, parse_tree, within_cost
from .v4fields import Entity, Field

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
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise QueryError(f'Argument "{value}" is incompatible with numeric field "{name}".')
        return value
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
