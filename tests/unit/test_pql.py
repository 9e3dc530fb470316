"""The PQL grammar (dialects/pql.lark) and its compilation to the v4 AST, construct by
construct, as PuppetDB's pql/transform.clj compiles them."""
from __future__ import annotations

import pytest

from chalicelib.puppetdb.dialects import pql
from chalicelib.puppetdb.dialects.pql import PqlError, parse, root_query


@pytest.mark.parametrize("text, ast", [
    ("reports {}", ["from", "reports"]),
    ("  nodes  { }  ", ["from", "nodes"]),
    ("environments {}", ["from", "environments"]),
    ("events[] {}", ["from", "events", ["extract", []]]),
    ('events[certname, status] { status = "failure" }',
     ["from", "events", ["extract", ["certname", "status"], ["=", "status", "failure"]]]),
    ("reports[count()] {}", ["from", "reports", ["extract", [["function", "count"]]]]),
    ("events[count(line), avg(line), sum(line), min(timestamp), max(line)] {}",
     ["from", "events", ["extract", [["function", "count", "line"], ["function", "avg", "line"],
                                     ["function", "sum", "line"], ["function", "min", "timestamp"],
                                     ["function", "max", "line"]]]]),
    ('reports[count(), status] { certname = "a" group by status }',
     ["from", "reports", ["extract", [["function", "count"], "status"], ["=", "certname", "a"],
                          ["group_by", "status"]]]),
    ("events[count(), status, certname] { group by status, certname }",
     ["from", "events", ["extract", [["function", "count"], "status", "certname"],
                         ["group_by", "status", "certname"]]]),
])
def test_projection_and_group_by(text, ast):
    assert parse(text) == ast


def _where(condition: str):
    return parse(f"events {{ {condition} }}")[2]


@pytest.mark.parametrize("condition, ast", [
    ('certname = "a"', ["=", "certname", "a"]),
    ('certname != "a"', ["not", ["=", "certname", "a"]]),
    ('certname ~ "^a"', ["~", "certname", "^a"]),
    ('certname !~ "^a"', ["not", ["~", "certname", "^a"]]),
    ("line < 3", ["<", "line", 3]),
    ("line <= -3", ["<=", "line", -3]),
    ("line > 2.5", [">", "line", 2.5]),
    ("line >= 1.5e2", [">=", "line", 150.0]),
    ('timestamp > "2026-11-22T00:00:00Z"', [">", "timestamp", "2026-11-22T00:00:00Z"]),
    ("noop = true", ["=", "noop", True]),
    ("noop = false", ["=", "noop", False]),
    ('status in ["noop", "skipped"]', ["in", "status", ["array", ["noop", "skipped"]]]),
    ("line in [1, 2]", ["in", "line", ["array", [1, 2]]]),
    ("property is null", ["null?", "property", True]),
    ("property   is   not   null", ["null?", "property", False]),
    ("latest_report? = true", ["=", "latest_report?", True]),
    ("certname = 'it\\'s'", ["=", "certname", "it's"]),
    ('certname = "tab\\there \\u00e9 \\""', ["=", "certname", 'tab\there é "']),
])
def test_conditions(condition, ast):
    assert _where(condition) == ast


def test_and_binds_tighter_than_or_and_not_tighter_than_and():
    assert _where('a = 1 or b = 2 and !c = 3') == \
        ["or", ["=", "a", 1], ["and", ["=", "b", 2], ["not", ["=", "c", 3]]]]


def test_chains_are_flat_and_parentheses_group():
    assert _where("a = 1 and b = 2 and c = 3") == \
        ["and", ["=", "a", 1], ["=", "b", 2], ["=", "c", 3]]
    assert _where("(a = 1 or b = 2) and !(c = 3 or d is null)") == \
        ["and", ["or", ["=", "a", 1], ["=", "b", 2]],
         ["not", ["or", ["=", "c", 3], ["null?", "d", True]]]]


def test_keywords_are_fields_where_a_field_is_expected():
    assert _where('order = "x" and reports = 1 and asc = 2') == \
        ["and", ["=", "order", "x"], ["=", "reports", 1], ["=", "asc", 2]]


def test_paging_clauses_follow_the_query_in_order():
    assert parse('reports[hash] { certname = "a" order by producer_timestamp desc, hash '
                 "limit 10 offset 20 }") == \
        ["from", "reports", ["extract", ["hash"], ["=", "certname", "a"]],
         ["order_by", [["producer_timestamp", "desc"], "hash"]], ["limit", 10], ["offset", 20]]
    assert parse("reports { limit 1 }") == ["from", "reports", ["limit", 1]]
    assert parse("reports { order by hash asc }") == \
        ["from", "reports", ["order_by", [["hash", "asc"]]]]


def test_a_syntax_error_names_line_column_and_what_was_expected():
    with pytest.raises(PqlError) as error:
        parse("events {\n  certname = }")
    text = str(error.value)
    assert text.startswith("PQL parse error at line 2, column 14:\n\n  certname = }\n"
                           "             ^\n\nExpected one of:\n\n")
    assert set(text.split("\n\n")[-1].split("\n")) >= {'"', "'", "true", "false", "["}


def test_an_unknown_entity_lists_the_entities():
    with pytest.raises(PqlError) as error:
        parse("bogus {}")
    assert "line 1, column 1" in str(error.value)
    assert {"events", "reports", "nodes", "facts"} <= set(str(error.value).split("\n"))


def test_an_unclosed_query_points_past_its_end():
    with pytest.raises(PqlError, match=r"line 1, column 17"):
        parse('events { a = "x"')


@pytest.mark.parametrize("text", [
    "events { a = }", "events { = 1 }", "events { a == 1 }", "events { a < true }",
    "events { a ~ 1 }", "events { a in 1 }", "events { a is nil }", "events [a { }",
    "events { a = 1 limit x }", "events { group by a }", "events {", "",
    "events { a = 1 } trailing", "events { a = [1, ] }",
])
def test_malformed_queries_are_refused(text):
    with pytest.raises(PqlError):
        parse(text)


def test_a_subquery_parses_and_is_refused():
    with pytest.raises(PqlError, match="Subqueries are not supported"):
        parse('events { certname in reports[certname] { status = "failed" } }')


def test_root_query_takes_pql_the_from_form_as_text_or_a_value():
    assert root_query('reports[hash] { limit 2 }', 1000, 32) == \
        ("reports", {"query": ["extract", ["hash"]], "limit": 2})
    assert root_query('["from", "events", ["=", "status", "x"], ["order_by", ["timestamp", '
                      '["report", "desc"]]], ["offset", 3]]', 1000, 32) == \
        ("events", {"query": ["=", "status", "x"], "offset": 3,
                    "order_by": [{"field": "timestamp"}, {"field": "report", "order": "desc"}]})
    assert root_query(["from", "nodes"], 1000, 32) == ("nodes", {})


@pytest.mark.parametrize("raw", [["=", "certname", "x"], ["from"], '["from", 1]',
                                 ["from", "events", ["=", "a", 1], ["=", "b", 2]]])
def test_root_query_needs_the_from_form(raw):
    with pytest.raises(PqlError, match="must be of the form"):
        root_query(raw, 1000, 32)


def test_root_query_limits_size_and_nesting():
    with pytest.raises(PqlError, match="longer than 10 bytes"):
        root_query("events { a = 1 }", 10, 32)
    with pytest.raises(PqlError, match="EVENTS_MAX_QUERY_DEPTH"):
        root_query("events { " + "(" * 40 + "a = 1" + ")" * 40 + " }", 1000, 32)
    with pytest.raises(PqlError, match="EVENTS_MAX_QUERY_DEPTH"):
        root_query("events { " + "!" * 40 + "a = 1 }", 1000, 32)
    assert root_query("events { a != 1 and b !~ 'x' }", 1000, 3)[0] == "events"


def test_the_parser_is_built_once():
    assert pql.parser() is pql.parser()
