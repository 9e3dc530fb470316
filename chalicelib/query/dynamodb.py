"""AST -> a DynamoDB plan: which key(s) to query, a FilterExpression, and a residual.

An entity declares its access paths (`AccessPath`), best first. `plan` picks the
first path whose partition fields are fixed by equality conjuncts (fanning out
over `In` values), turns bounds on the path's range field into a key
condition, compiles every other conjunct it can into a FilterExpression, and
leaves the rest (regular expressions, array matches) as a residual for the
reference evaluator. A top-level `Or` whose every branch has a path becomes a
union of keyed queries, merged in key order. `filter AND residual` is exactly
the conjuncts not answered by the key condition.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping, Sequence

from boto3.dynamodb.types import TypeSerializer

from .ast import (And, Compare, Contains, In, IsNull, Match, Node, Not, Or, all_of,
                  conjuncts)

_serializer = TypeSerializer()
MAX_FAN_OUT = 64            # keyed queries one request may run before falling back
# DynamoDB's expression limits ("Constraints in Amazon DynamoDB", Expression
# parameters); moto enforces none of them, tests/conftest.py checks every call.
MAX_IN_OPERANDS = 100       # operands of one IN
MAX_EXPRESSION_BYTES = 4096 # one expression string
MAX_OPERATORS = 300         # operators and functions in one expression
MAX_PARTITION_KEY_BYTES = 2048
_OPERATOR = re.compile(r"<>|<=|>=|[=<>]|\b(?:AND|OR|NOT|BETWEEN|IN)\b|\b[a-z_]+\(")


@dataclass(frozen=True)
class AccessPath:
    """One way to read an entity by key.

    The partition key value is `hash_format.format(**fields)` for the equality
    values of `hash_fields` (a constant when `hash_fields` is empty). The range
    key, if `range_field` is set, starts with that field's stored value followed
    by a suffix of characters sorting below "~" (e.g. `2024-05-01T...Z#000042`).
    """
    name: str
    index: str | None
    hash_attr: str
    hash_fields: tuple[str, ...] = ()
    hash_format: str = ""
    range_attr: str | None = None
    range_field: str | None = None


@dataclass(frozen=True)
class KeyQuery:
    path: AccessPath
    hash_value: str
    lower: str | None = None   # inclusive bound on the range key
    upper: str | None = None   # inclusive bound on the range key

    def arguments(self) -> dict:
        names = {"#h": self.path.hash_attr}
        values = {":h": {"S": self.hash_value}}
        condition = "#h = :h"
        if self.lower is not None or self.upper is not None:
            names["#r"] = self.path.range_attr
            if self.lower is not None and self.upper is not None:
                condition += " AND #r BETWEEN :lo AND :hi"
                values[":lo"], values[":hi"] = {"S": self.lower}, {"S": self.upper}
            elif self.lower is not None:
                condition += " AND #r >= :lo"
                values[":lo"] = {"S": self.lower}
            else:
                condition += " AND #r <= :hi"
                values[":hi"] = {"S": self.upper}
        arguments = {"KeyConditionExpression": condition,
                     "ExpressionAttributeNames": names,
                     "ExpressionAttributeValues": values}
        if self.path.index:
            arguments["IndexName"] = self.path.index
        return arguments


@dataclass(frozen=True)
class Plan:
    queries: tuple[KeyQuery, ...]      # empty tuple: scan the table
    filter: Node | None                # compiled into FilterExpression
    residual: Node | None              # evaluated in Python

    @property
    def is_scan(self) -> bool:
        return not self.queries


@dataclass
class Expression:
    text: str
    names: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)

    def merge_into(self, arguments: dict, key: str = "FilterExpression") -> dict:
        arguments[key] = self.text
        # DynamoDB rejects empty name/value maps, so only add what is used.
        if self.names:
            arguments.setdefault("ExpressionAttributeNames", {}).update(self.names)
        if self.values:
            arguments.setdefault("ExpressionAttributeValues", {}).update(self.values)
        return arguments


# ---------------------------------------------------------------- planning

def plan(node: Node, paths: Sequence[AccessPath], attributes: Mapping[str, str],
         array_fields: frozenset[str] = frozenset()) -> Plan:
    """`attributes` maps AST fields to attribute names; `array_fields` are list attributes."""
    if isinstance(node, Or):
        branches = [_keyed(term, paths) for term in node.terms]
        if all(b is not None for b in branches) and \
                sum(len(b[0]) for b in branches) <= MAX_FAN_OUT:
            # Each branch is filtered by the whole Or: a union of keyed reads,
            # then the same test on every candidate.
            queries = tuple(q for b in branches for q in b[0])
            filter_node, residual = split(node, attributes, array_fields)
            return Plan(queries, filter_node, residual)
    keyed = _keyed(node, paths)
    if keyed is None:
        filter_node, residual = split(node, attributes, array_fields)
        return Plan((), filter_node, residual)
    queries, rest = keyed
    filter_node, residual = split(rest, attributes, array_fields) if rest else (None, None)
    return Plan(queries, filter_node, residual)


def _keyed(node: Node, paths: Sequence[AccessPath]):
    """(key queries, the conjuncts they do not answer) or None."""
    terms = list(conjuncts(node))
    equalities: dict[str, tuple[tuple, Node]] = {}
    for term in terms:
        if isinstance(term, Compare) and term.op == "=" and isinstance(term.value, str):
            equalities.setdefault(term.field, ((term.value,), term))
        elif isinstance(term, In) and term.values and all(isinstance(v, str) for v in term.values):
            equalities.setdefault(term.field, (tuple(term.values), term))
    for path in paths:
        if not all(f in equalities for f in path.hash_fields):
            continue
        combos = list(itertools.product(*(equalities[f][0] for f in path.hash_fields)))
        if len(combos) > MAX_FAN_OUT:
            continue
        used = [equalities[f][1] for f in path.hash_fields]
        lower, upper, bounds = _range(path, terms)
        rest = [t for t in terms if not any(t is u for u in used + bounds)]
        # DynamoDB refuses an empty key value (a 500 before) and one past 2048 bytes;
        # no stored item has either (limits.key_problem bounds what is stored).
        keys = [path.hash_format.format(**dict(zip(path.hash_fields, combo))) for combo in combos]
        queries = tuple(KeyQuery(path, key, lower, upper) for key in keys
                        if key and len(key.encode("utf-8", "surrogatepass")) <= MAX_PARTITION_KEY_BYTES)
        if not queries:
            continue
        return queries, (all_of(*rest) if rest else None)
    return None


def _range(path: AccessPath, terms: list[Node]):
    lower = upper = None
    used: list[Node] = []
    if path.range_field is None:
        return None, None, used
    for term in terms:
        if not (isinstance(term, Compare) and term.field == path.range_field
                and term.op in ("<", "<=", ">", ">=") and isinstance(term.value, str)):
            continue
        # Range keys are "<value><suffix>" with suffix characters below "~".
        if term.op in (">", ">="):
            bound = term.value + ("~" if term.op == ">" else "")
            lower = bound if lower is None else max(lower, bound)
        else:
            bound = term.value + ("~" if term.op == "<=" else "")
            upper = bound if upper is None else min(upper, bound)
        used.append(term)
    return lower, upper, used


# ---------------------------------------------------------------- filters

def split(node: Node, attributes: Mapping[str, str],
          array_fields: frozenset[str] = frozenset()) -> tuple[Node | None, Node | None]:
    """(expressible conjuncts, residual conjuncts). A conjunct DynamoDB cannot express,
    or one that would take the FilterExpression past DynamoDB's limits (a `not
    latest_report?` over 10,000 report hashes, say), is left to the residual: the
    same test in Python on the same items read, since a filter saves no reads."""
    expressible, residual = [], []
    for term in conjuncts(node):
        (expressible if _expressible(term, array_fields) else residual).append(term)
    if expressible and not _fits(all_of(*expressible), attributes, array_fields):
        kept: list[Node] = []
        for term in expressible:
            if _fits(all_of(*kept, term), attributes, array_fields):
                kept.append(term)
            else:
                residual.append(term)
        expressible = kept
    return (all_of(*expressible) if expressible else None,
            all_of(*residual) if residual else None)


def _fits(node: Node, attributes: Mapping[str, str], array_fields: frozenset[str]) -> bool:
    text = compile_filter(node, attributes, array_fields).text
    return len(text.encode("utf-8")) <= MAX_EXPRESSION_BYTES and operator_count(text) <= MAX_OPERATORS


def operator_count(text: str) -> int:
    """Operators and functions in an expression as this module writes it (comparators,
    AND/OR/NOT, BETWEEN, IN, function calls): what DynamoDB's 300 limit counts."""
    return len(_OPERATOR.findall(text))


def _expressible(node: Node, array_fields: frozenset[str]) -> bool:
    if isinstance(node, (And, Or)):
        # DynamoDB has no literal true/false: an empty And/Or stays in Python.
        return bool(node.terms) and all(_expressible(t, array_fields) for t in node.terms)
    if isinstance(node, Not):
        return _expressible(node.term, array_fields)
    if isinstance(node, Match):
        return False
    if isinstance(node, In) and not node.values:
        return False            # `IN ()` is not an expression; the evaluator says false
    if node.field in array_fields:
        return isinstance(node, IsNull) or (isinstance(node, Compare) and node.op == "=")
    return True


def compile_filter(node: Node, attributes: Mapping[str, str],
                   array_fields: frozenset[str] = frozenset()) -> Expression:
    expression = Expression("")
    counter = itertools.count()
    expression.text, _ = _compile(node, attributes, array_fields, expression, counter)
    return expression


def _wrapped(part: tuple[str, bool]) -> str:
    # DynamoDB rejects redundant parentheses: wrap only compound operands.
    text, compound = part
    return f"({text})" if compound else text


def _name(expression: Expression, attribute: str) -> str:
    placeholder = "#" + "".join(c if c.isalnum() else "_" for c in attribute)
    expression.names[placeholder] = attribute
    return placeholder


def _value(expression: Expression, counter, value: object) -> str:
    placeholder = f":v{next(counter)}"
    if isinstance(value, float):
        # A v4 number may be fractional (["=", "line", 1.5]); boto3 takes numbers only
        # as int or Decimal. repr keeps the float's shortest exact decimal.
        value = Decimal(repr(value))
    expression.values[placeholder] = _serializer.serialize(value)
    return placeholder


def _compile(node: Node, attributes, array_fields, expression: Expression,
             counter) -> tuple[str, bool]:
    """(text, whether it is a compound that needs parentheses inside another operator)."""
    if isinstance(node, (And, Or)):
        parts = [_compile(t, attributes, array_fields, expression, counter) for t in node.terms]
        if len(parts) == 1:
            return parts[0]
        joiner = " AND " if isinstance(node, And) else " OR "
        return joiner.join(_wrapped(p) for p in parts), True
    if isinstance(node, Not):
        inner = _compile(node.term, attributes, array_fields, expression, counter)
        return f"NOT {_wrapped(inner)}", True
    name = _name(expression, attributes[node.field])
    if isinstance(node, IsNull):
        return (f"attribute_not_exists({name})" if node.null else f"attribute_exists({name})"), False
    if node.field in array_fields:      # only "=" reaches here: any element equal
        return f"contains({name}, {_value(expression, counter, node.value)})", False
    if isinstance(node, Compare):
        return f"{name} {node.op} {_value(expression, counter, node.value)}", True
    if isinstance(node, In):
        chunks = [node.values[i:i + MAX_IN_OPERANDS] for i in range(0, len(node.values), MAX_IN_OPERANDS)]
        tests = [f"{name} IN ({', '.join(_value(expression, counter, v) for v in chunk)})"
                 for chunk in chunks]
        return " OR ".join(tests), True
    if isinstance(node, Contains):
        # contains() on a string is a substring test; the type check keeps sets/lists out.
        text = _value(expression, counter, node.text)
        string_type = _value(expression, counter, "S")
        return f"attribute_type({name}, {string_type}) AND contains({name}, {text})", True
    raise TypeError(f"cannot compile {node!r}")
