"""PuppetDB query JSON -> common AST (../shared/notes/puppetdb.md 1.2-1.4)."""
from __future__ import annotations

import pytest

from chalicelib.puppetdb.dialects import v1_4
from chalicelib.query.ast import And, Compare, Match, Not, Or
from chalicelib.query.dynamodb import compile_filter


def test_dashed_fields_become_ast_fields():
    assert v1_4.parse(["=", "resource-type", "File"]) == Compare("resource_type", "=", "File")


def test_operators_are_case_insensitive():
    assert v1_4.parse(["OR", ["=", "status", "a"]]) == Or((Compare("status", "=", "a"),))


def test_json_values_compare_as_canonical_json_text():
    assert v1_4.parse(["=", "new-value", {"b": 1, "a": [1, 2]}]) == \
        Compare("new_value", "=", '{"a":[1,2],"b":1}')


def test_timestamps_are_normalised_to_the_stored_utc_form():
    assert v1_4.parse(["<", "timestamp", "2011-01-01T12:00:03-03:00"]) == \
        Compare("timestamp", "<", "2011-01-01T15:00:03.000000Z")


@pytest.mark.parametrize("value,expected", [(True, True), (False, False), (None, False),
                                            ("false", True), (0, True)])
def test_latest_report_uses_clojure_truthiness(value, expected):
    assert v1_4.parse(["=", "latest-report", value]) == Compare("latest_report", "=", expected)


def test_regex_is_a_match_node():
    assert v1_4.parse(["not", ["~", "file", "\\.pp"]]) == Not(Match("file", "\\.pp"))


def test_a_number_for_line_is_required():
    with pytest.raises(v1_4.QueryError, match='incompatible with numeric field "line"'):
        v1_4.parse(["=", "line", "1"])


def test_an_invalid_regex_is_a_query_error():
    with pytest.raises(v1_4.QueryError, match="invalid regular expression"):
        v1_4.parse(["~", "status", "("])


def test_invalid_json_is_a_query_error():
    with pytest.raises(v1_4.QueryError):
        v1_4.parse_text("[not json")


def test_single_term_and_compiles_without_redundant_parentheses():
    # DynamoDB refuses "((a = b))" (the differential test found it; main's fix is adopted).
    node = Not(And((And((Compare("certname", "=", "a"),)),)))
    assert "((" not in compile_filter(node, {"certname": "certname"}).text


@pytest.mark.parametrize("value", ["foo", 5, None, "2011-13-01T00:00:00Z"])
def test_a_bad_timestamp_value_is_a_query_error(value):
    with pytest.raises(v1_4.QueryError, match="is not a valid timestamp value"):
        v1_4.parse([">", "timestamp", value])
