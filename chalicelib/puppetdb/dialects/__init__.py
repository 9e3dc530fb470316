"""Front ends to the common AST over the catalogue (DESIGN.md 1): v1_4.py reads
document 002's JSON queries (`/experimental/events`), v4.py PuppetDB 7's v4 AST.
What they share: QueryError, the `and`/`or`/`not` tree, the cost caps, and the
paging parameters and Accept check with PuppetDB's texts
(../shared/notes/puppetdb.md 1.1-1.6, 3)."""
from __future__ import annotations

import json
from typing import Callable

from ... import paging
from ...config import settings
from ...errors import ApiError
from ...query import cost
from ...query.ast import And, Node, Not, Or

ACCEPTABLE = {"*/*", "application/*", "application/json"}
MAX_DEPTH = 100                   # well inside Python's recursion limit


class QueryError(ValueError):
    """A 400 with PuppetDB's message."""


def bad_request(msg: str) -> ApiError:
    return ApiError(400, "bad-request", msg)


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


# The smallest magnitude boto3 serialises for DynamoDB (its Decimal context, Emin -128);
# a smaller float raised decimal.Underflow, a 500.
SMALLEST_FRACTION = 1e-128


def numeric_value(value: object, field: str, *, reals: bool = True) -> int | float:
    """A query value for a numeric field (1.4's `line`, v4's numeric fields): an integer
    (or, where `reals`, a float) in PuppetDB's "incompatible" text otherwise; an integer
    outside signed 64 bits is refused too: the stores hold no wider integer (SQLite's
    driver raises OverflowError); so is a float outside that range or nearer 0 than
    DynamoDB's numbers go. PuppetDB's own text for it is unknown (a PostgreSQL
    bigint error there); this one follows its invalid-timestamp text."""
    if isinstance(value, bool) or not isinstance(value, (int, float) if reals else int):
        raise QueryError(f'Argument "{value}" is incompatible with numeric field "{field}".')
    if not abs(value) <= paging.MAX_INTEGER:      # also NaN, and JSON's 1e400 (inf)
        raise QueryError(f"'{value}' is not a valid numeric value for field {field}: "
                         "numbers are limited to the range of signed 64-bit integers")
    if value and abs(value) < SMALLEST_FRACTION:
        raise QueryError(f"'{value}' is not a valid numeric value for field {field}: "
                         f"a number other than 0 must be at least {SMALLEST_FRACTION} "
                         "in magnitude")
    return value


def accepts_json(accept: str | None) -> bool:
    """A missing header is allowed; otherwise one exact item must fit (notes 1.1)."""
    if accept is None:
        return True
    return any(item.strip() in ACCEPTABLE for item in accept.split(","))


def shown(raw: object) -> str:
    """A parameter as PuppetDB quotes it in an error: text as is, a JSON value as JSON."""
    return raw if isinstance(raw, str) else json.dumps(raw)


def _integer(raw: object) -> int | None:
    """An int (from a v4 JSON body), or integer text in ASCII digits, within 64 bits;
    else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) <= paging.MAX_INTEGER else None
    return paging.decimal(shown(raw), signed=False)


def page_limit(raw: object) -> int | None:
    """`limit`, 1.4 and v4 alike (notes 1.6): a positive integer up to the maximum."""
    if raw is None:
        return None
    value = _integer(raw)
    if value is None or value < 1:
        raise bad_request(f"Illegal value '{shown(raw)}' for :limit; "
                          f"expected a positive non-zero integer.")
    maximum = settings().max_page_limit
    if value > maximum:
        raise bad_request(f"Illegal value '{shown(raw)}' for :limit; expected a positive "
                          f"non-zero integer no greater than {maximum}.")
    return value


def page_offset(raw: object) -> int:
    if raw is None:
        return 0
    value = _integer(raw)
    if value is None or value < 0:
        raise bad_request(f"Illegal value '{shown(raw)}' for :offset; "
                          f"expected a non-negative integer.")
    return value

