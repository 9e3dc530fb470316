"""The static query caps (query/cost.py) and the SQL shapes that keep SQLite's own
limits out of reach (query/sql.py): an expression depth of 1000 and a parser
stack of 100 once made wide and deep queries answer 500."""
from __future__ import annotations

import sqlite3

import pytest

from chalicelib.query import cost, sql
from chalicelib.query.ast import And, Compare, In, Match, Not, Or

CAPS = cost.Caps(terms=10, width=4, depth=3, regexes=2)
COLUMNS = {"a": "a", "b": "b"}


def _leaf(n: int = 1):
    return Compare("a", "=", n)


@pytest.mark.parametrize("node, message", [
    (Or(tuple(_leaf(n) for n in range(5))), "5 alternatives in one 'or'; the limit is 4"),
    (And(tuple(_leaf(n) for n in range(5))), "5 terms in one 'and'; the limit is 4"),
    (In("a", tuple(range(5))), "5 values in one 'in'; the limit is 4"),
    (And((In("a", (1, 2, 3, 4)), In("b", (1, 2, 3, 4)), Or((_leaf(), _leaf(), _leaf())))),
     "The query has 11 terms; the limit is 10 (EVENTS_MAX_QUERY_TERMS)"),
    (Or((Match("a", "x"), Match("b", "y"), Match("a", "z"))),
     "3 regular expressions; the limit is 2 (EVENTS_MAX_QUERY_REGEXES)"),
    (Not(Not(Not(_leaf()))), "nested more than 3 levels deep (EVENTS_MAX_QUERY_DEPTH)"),
])
def test_a_query_over_a_cap_names_the_limit(node, message):
    with pytest.raises(cost.TooCostly, match=message.replace("(", r"\(").replace(")", r"\)")):
        cost.check(node, CAPS)


def test_a_query_at_every_cap_passes_unchanged():
    node = And((In("a", (1, 2, 3, 4)), Or((Match("a", "x"), Match("b", "y"))),
                Not(_leaf()), In("b", (1, 2, 3))))          # 10 terms, width 4, depth 3
    assert cost.check(node, CAPS) is node


def test_the_default_caps_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_QUERY_WIDTH", "2")
    with pytest.raises(cost.TooCostly, match="the limit is 2"):
        cost.check(In("a", (1, 2, 3)))


def test_the_check_is_not_recursive():
    node = _leaf()
    for _ in range(5000):
        node = Not(node)
    with pytest.raises(cost.TooCostly, match="nested more than 32"):
        cost.check(node)


def _run(node) -> list:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(n, n % 3) for n in range(10)])
    clause, params = sql.where(node, COLUMNS)
    return sorted(row[0] for row in conn.execute(f"SELECT a FROM t WHERE {clause}", params))


def test_an_or_of_equalities_on_one_field_is_one_in_list():
    clause, params = sql.where(Or(tuple(_leaf(n) for n in range(5000))), COLUMNS)
    assert " OR " not in clause and clause.count(" IN (") == 1
    assert _run(Or(tuple(_leaf(n) for n in range(5000)))) == list(range(10))


def test_a_long_chain_of_other_tests_stays_under_sqlite_depth_limit():
    """Beyond any cap: 5000 ORed inequalities ran into 'Expression tree is too large'."""
    node = Or(tuple(Compare("a", ">", n) for n in range(5000, 0, -1)) + (Compare("b", "=", 0),))
    assert _run(node) == [0, 2, 3, 4, 5, 6, 7, 8, 9]


def test_deep_alternations_with_the_nested_term_last_compile():
    """Nested terms are emitted first, so SQLite's parser stack holds 40 levels."""
    node = _leaf(2)
    for level in range(40):
        kind = (And, Or)[level % 2]
        node = kind((Compare("b", "=", 9), node))
    assert _run(node) in ([], [2])


def test_double_negation_is_the_term_itself():
    node = _leaf(4)
    for _ in range(100):
        node = Not(node)
    assert sql.where(node, COLUMNS)[0] == sql.where(_leaf(4), COLUMNS)[0]
    assert _run(node) == [4]
