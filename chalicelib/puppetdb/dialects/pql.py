"""PQL, the Puppet Query Language -> the v4 AST's `from` form, as PuppetDB 7
compiles it (PuppetDB's pql/pql-grammar.ebnf and pql/transform.clj are the
reference; the grammar here is our own, pql.lark, for lark's LALR parser).

    reports[hash, status] { certname = "a" and !(noop = true) order by producer_timestamp desc limit 5 }
    -> ["from", "reports",
        ["extract", ["hash", "status"], ["and", ["=", "certname", "a"], ["not", ["=", "noop", true]]]],
        ["order_by", [["producer_timestamp", "desc"]]], ["limit", 5]]

- `a != v` is `["not", ["=", a, v]]`, `a !~ v` is `["not", ["~", a, v]]`;
- `a is null` / `a is not null` are `["null?", a, true]` / `["null?", a, false]`;
- `a in [x, y]` is `["in", a, ["array", [x, y]]]`;
- a projection `[f, count(), avg(line)]` is `["extract", ["f", ["function", "count"],
  ["function", "avg", "line"]], <filter>?, ["group_by", ...]?]`;
- `group by`, `order by` (a field, or `[field, "desc"]`), `limit`, `offset` as in
  PuppetDB's transform (paging clauses after the query, `group_by` inside `extract`).
Double-quoted strings are JSON strings; single-quoted ones take `\\'` for a quote.

`parse` raises PqlError with PuppetDB's text ("PQL parse error at line L, column C:"
then the line, a caret and what was expected) for what does not parse, and a plain
reason for what parses but this service does not run (a subquery in `in`).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, \
    UnexpectedToken, v_args
from lark.exceptions import VisitError

from ... import limits

GRAMMAR = Path(__file__).with_name("pql.lark")


class PqlError(ValueError):
    """A PQL query that does not parse or cannot run here; the text is the answer's."""


@lru_cache(maxsize=1)
def parser() -> Lark:
    # Built on first use: the grammar costs a few milliseconds to compile, and most
    # requests never send PQL.
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr",
                propagate_positions=False, maybe_placeholders=True)


def parse(text: str) -> list:
    """PQL text -> `["from", entity, ...]` (the root endpoint's AST form)."""
    try:
        tree = parser().parse(text)
    except UnexpectedInput as error:
        raise PqlError(_parse_error(text, error)) from None
    try:
        return _ToAst().transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, PqlError):
            raise error.orig_exc from None
        raise


def _parse_error(text: str, error: UnexpectedInput) -> str:
    """PuppetDB's layout of a parse error; the expected terminals in our grammar's terms."""
    line = getattr(error, "line", None)
    column = getattr(error, "column", None)
    at_end = isinstance(error, UnexpectedToken) and error.token.type == "$END"
    if at_end or line is None or line < 1:        # unexpected end of input
        lines = text.split("\n") or [""]
        line, column = len(lines), len(lines[-1]) + 1
    source = (text.split("\n") + [""])[line - 1]
    expected = sorted(_shown(name) for name in _expected(error))
    return (f"PQL parse error at line {line}, column {column}:\n\n{source}\n"
            f"{' ' * (column - 1)}^\n\nExpected one of:\n\n" + "".join(e + "\n" for e in expected))


def _expected(error: UnexpectedInput) -> set[str]:
    if isinstance(error, UnexpectedToken):
        return set(error.accepts or error.expected)
    if isinstance(error, UnexpectedCharacters):
        return set(error.allowed or ())
    return set(getattr(error, "expected", ()) or ())


# How PuppetDB's parse errors show these (its grammar's own terminals).
SHOWN = {"DQSTRING": '"', "SQSTRING": "'", "INTEGER": '#"[0-9]+"', "REAL": "-",
         "FIELD": '#"[a-zA-Z0-9_]+\\??"'}


def _shown(name: str) -> str:
    if name in SHOWN:
        return SHOWN[name]
    try:
        pattern = parser().get_terminal(name).pattern
    except KeyError:
        return name
    if pattern.type == "str":
        return pattern.value
    return f'#"{pattern.value}"'


@v_args(inline=True)
class _ToAst(Transformer):
    """The tree -> the v4 AST (PuppetDB's pql/transform.clj, rule by rule)."""

    def start(self, entity, *rest):
        return _from(entity, rest)

    def subquery(self, entity, *rest):
        raise PqlError("Subqueries are not supported by this service: in a PQL 'in', "
                       "give a list of values, e.g. certname in [\"a\", \"b\"]")

    def entity(self, token):
        return str(token)

    def projection(self, *columns):
        return ("extract", [c for c in columns if c is not None])

    def function(self, name, *arguments):
        return ["function", str(name), *[a for a in arguments if a is not None]]

    def field(self, token):
        return str(token)

    def or_(self, *terms):
        return ["or", *terms]

    def and_(self, *terms):
        return ["and", *terms]

    def negation(self, term):
        return ["not", term]

    def equality(self, field, operator, value):
        return ["not", ["=", field, value]] if operator == "!=" else ["=", field, value]

    def match(self, field, operator, value):
        return ["not", ["~", field, value]] if operator == "!~" else ["~", field, value]

    def ordered(self, field, operator, value):
        return [str(operator), field, value]

    def membership(self, field, values):
        return ["in", field, values]

    def is_null(self, field, _):
        return ["null?", field, True]

    def is_not_null(self, field, _):
        return ["null?", field, False]

    def clauses(self, *clauses):
        return ("clauses", list(clauses))

    def group_by(self, _keyword, *columns):
        return ["group_by", *columns]

    def order_by(self, _keyword, *params):
        return ["order_by", list(params)]

    def order_param(self, field, direction):
        return field if direction is None else [field, str(direction)]

    def limit(self, count):
        return ["limit", int(count)]

    def offset(self, count):
        return ["offset", int(count)]

    def array(self, *values):
        return ["array", [v for v in values if v is not None]] if values != (None,) \
            else ["array", []]

    def dqstring(self, token):
        # The grammar admits only JSON's escapes; a lone surrogate escape decodes, and
        # is held to the text rule as the AST form's strings are (limits.loads).
        value = json.loads(str(token))
        try:
            limits.require_text(value, "The 'query' parameter")
        except limits.NotText as error:
            raise PqlError(str(error)) from None
        return value

    def sqstring(self, token):
        return str(token)[1:-1].replace("\\'", "'")

    def integer(self, token):
        return int(token)

    def real(self, token):
        return float(token)

    def boolean(self, token):
        return token == "true"


def _from(entity: str, rest: tuple) -> list:
    """["from", entity, <extract or filter>?, <paging clause>...] (transform-from and
    slurp-expr->extract: group_by joins the extract, paging stays outside)."""
    extract = None
    condition = None
    clauses: list = []
    for part in rest:
        if isinstance(part, tuple) and part[0] == "extract":
            extract = ["extract", part[1]]
        elif isinstance(part, tuple) and part[0] == "clauses":
            clauses = part[1]
        elif part is not None and not isinstance(part, Token):
            condition = part
    group_by = [c for c in clauses if c[0] == "group_by"]
    paging = [c for c in clauses if c[0] != "group_by"]
    if extract is None and group_by:
        raise PqlError("'group by' needs a projection: entity[fields, functions] { ... group by ... }")
    query = [] if extract is None and condition is None else \
        [extract + ([condition] if condition is not None else []) + group_by
         if extract is not None else condition]
    return ["from", entity, *query, *paging]


# ------------------------------------------------------------ the root endpoint

FROM_FORM = ("Your initial query must be of the form: [\"from\",<entity>,(<optional-query>)]. "
             "Check your query and try again.")
PAGING = ("order_by", "limit", "offset")


def root_query(raw: object, max_bytes: int, max_depth: int) -> tuple[str, dict]:
    """`GET`/`POST /pdb/query/v4`'s `query` -> (entity, that entity's endpoint
    parameters: `query`, `order_by`, `limit`, `offset`).

    `raw` is PQL text, the AST as JSON text (it starts with `[`), or a POST body's
    parsed AST. The AST is `["from", entity, <query>?, ["order_by", [f | [f, "desc"], ...]]?,
    ["limit", n]?, ["offset", n]?]`; PQL compiles to it. PqlError with PuppetDB's texts."""
    if raw is None:
        raise PqlError("Missing required query parameter 'query'")
    if isinstance(raw, str):
        if len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
            raise PqlError(f"The 'query' parameter is longer than {max_bytes} bytes")
        if raw.lstrip().startswith("["):
            term = _json_query(raw)
        else:
            _nesting(raw, max_depth)
            term = parse(raw)
    else:
        term = raw
    if not (isinstance(term, list) and len(term) >= 2 and term[0] == "from"
            and isinstance(term[1], str)):
        raise PqlError(FROM_FORM)
    entity, params = term[1], {}
    for part in term[2:]:
        if isinstance(part, list) and part and part[0] in PAGING:
            params.update(_paging(part))
        elif "query" not in params and not params:
            params["query"] = part
        else:
            raise PqlError(FROM_FORM)
    return entity, params


def _json_query(text: str) -> object:
    """The from form as JSON text, held to the query limits (size, depth)."""
    try:
        return limits.query_json(text, "query")
    except limits.TooComplex as error:
        raise PqlError(str(error)) from None
    except ValueError as error:
        raise PqlError(f"Malformed JSON for query: {text} ({error})") from None


def _nesting(text: str, max_depth: int) -> None:
    """PQL deeper than the query depth cap is refused before parsing: lark builds and
    transforms its tree recursively. Brackets inside strings count too (an over-count
    only refuses a query that was near the cap anyway)."""
    depth = deepest = negations = 0
    for position, char in enumerate(text):
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
        elif char == "!" and text[position + 1:position + 2] not in ("=", "~"):
            negations += 1          # each `!` nests its term one level deeper
    deepest += negations
    if deepest > max_depth:
        raise PqlError(f"The query is nested more than {max_depth} levels deep "
                       "(EVENTS_MAX_QUERY_DEPTH)")


def _paging(part: list) -> dict:
    """A from form's paging clause as the entity endpoint's parameter."""
    name = part[0]
    if len(part) != 2:
        raise PqlError(FROM_FORM)
    if name != "order_by":
        return {name: part[1]}
    if not isinstance(part[1], list):
        raise PqlError(FROM_FORM)
    order = []
    for param in part[1]:
        if isinstance(param, str):
            order.append({"field": param})
        elif isinstance(param, list) and len(param) == 2 and isinstance(param[0], str):
            order.append({"field": param[0], "order": param[1]})
        else:
            raise PqlError(FROM_FORM)
    return {"order_by": order}
