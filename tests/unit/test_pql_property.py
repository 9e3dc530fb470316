"""PQL text written from any v4 AST filter compiles back to that AST (dialects/pql.py),
so a PQL query and its v4 AST get the same answer on every adapter: both go through the
same v4 parser and store. Hypothesis generates the ASTs; `_pql` writes them as a client
would (double-quoted JSON strings, `!(...)`, `is null`, `in [...]`, parentheses)."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from chalicelib.puppetdb.dialects import extract, pql
from chalicelib.puppetdb.catalogue import EVENTS, REPORTS
from tests.query_strategies import any_text, json_values

FIELDS = st.sampled_from(sorted(EVENTS.fields))
# Every character but surrogates: a lone one is refused by the text rule (limits.py).
STRINGS = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
VALUES = st.one_of(STRINGS, st.integers(-10 ** 6, 10 ** 6), st.booleans())

leaves = st.one_of(
    st.builds(lambda f, v: ["=", f, v], FIELDS, VALUES),
    st.builds(lambda f, v: ["~", f, v], FIELDS, STRINGS),
    st.builds(lambda op, f, v: [op, f, v], st.sampled_from(("<", "<=", ">", ">=")), FIELDS,
              st.one_of(STRINGS, st.integers(-10 ** 6, 10 ** 6))),
    st.builds(lambda f, vs: ["in", f, ["array", vs]], FIELDS, st.lists(VALUES, max_size=4)),
    st.builds(lambda f, null: ["null?", f, null], FIELDS, st.booleans()),
)
filters = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(lambda op, terms: [op, *terms], st.sampled_from(("and", "or")),
              st.lists(inner, min_size=2, max_size=4)),
    st.builds(lambda term: ["not", term], inner)), max_leaves=10)


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)        # a PQL double-quoted string is a JSON string


def _pql(term: list) -> str:
    op = term[0]
    if op in ("and", "or"):
        return f" {op} ".join(f"({_pql(t)})" for t in term[1:])
    if op == "not":
        return f"!({_pql(term[1])})"
    if op == "null?":
        return f"{term[1]} is {'null' if term[2] else 'not null'}"
    if op == "in":
        return f"{term[1]} in [{', '.join(_literal(v) for v in term[2][1])}]"
    return f"{term[1]} {op} {_literal(term[2])}"


@settings(max_examples=300, deadline=None)
@given(filters)
def test_pql_written_from_an_ast_compiles_to_that_ast(term):
    assert pql.parse(f"events {{ {_pql(term)} }}") == ["from", "events", term]


@settings(max_examples=100, deadline=None)
@given(filters, st.lists(FIELDS, min_size=1, max_size=3, unique=True),
       st.integers(0, 10 ** 6), st.integers(0, 10 ** 6))
def test_projection_and_paging_round_trip(term, fields, limit, offset):
    text = f"events[{', '.join(fields)}] {{ {_pql(term)} limit {limit} offset {offset} }}"
    assert pql.parse(text) == ["from", "events", ["extract", fields, term],
                               ["limit", limit], ["offset", offset]]


# ------------------------------------------------------------- hostile input

PQL_WORDS = st.sampled_from(("events", "reports", "nodes", "[", "]", "{", "}", "(", ")", ",",
                             "=", "!=", "~", "!~", "<", ">=", "in", "and", "or", "!", "is",
                             "null", "not", "group by", "order by", "limit", "offset", "desc",
                             "count()", "certname", '"x"', "'y'", "1", "-2.5e3", "true", " "))


@settings(max_examples=300, deadline=None)
@given(st.one_of(any_text(40), st.lists(PQL_WORDS, max_size=25).map(" ".join)))
def test_any_text_is_a_from_form_or_a_pql_error(text):
    try:
        term = pql.parse(text)
    except pql.PqlError:
        return
    assert term[0] == "from" and isinstance(term[1], str)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, max_size=4), st.sampled_from((EVENTS, REPORTS)))
def test_any_extract_is_a_plan_or_an_extract_error(arguments, entity):
    try:
        plan, _ = extract.split(["extract", *arguments], entity)
    except extract.ExtractError:
        return
    assert all(isinstance(c, (str, extract.Function)) for c in plan.columns)
