"""v4 query JSON -> the common AST, and PuppetDB 7's error texts (notes 3)."""
from __future__ import annotations

import pytest

from chalicelib.puppetdb.dialects import QueryError
from chalicelib.puppetdb.dialects import v4
from chalicelib.puppetdb.catalogue import EVENTS, REPORTS
from chalicelib.query.ast import And, Compare, In, IsNull, Match, Not


def parse(term, entity=EVENTS):
    return v4.parse(term, entity)


def error(term, entity=EVENTS) -> str:
    with pytest.raises(QueryError) as caught:
        parse(term, entity)
    return str(caught.value)


def test_timestamps_compare_in_stored_utc_form():
    assert parse([">", "timestamp", "2024-05-01T12:00:00+02:00"]) == \
        Compare("timestamp", ">", "2024-05-01T10:00:00.000000Z")


def test_equal_to_null_is_null_query():
    assert parse(["=", "file", None]) == IsNull("file", True)


def test_values_compare_as_canonical_json():
    assert parse(["=", "new_value", {"b": 1, "a": 2}]) == Compare("new_value", "=", '{"a":2,"b":1}')


def test_in_with_an_array_and_not():
    assert parse(["not", ["in", "status", ["array", ["failure", "noop"]]]]) == \
        Not(In("status", ("failure", "noop")))


def test_latest_report_is_truthy_like_clojure():
    assert parse(["=", "latest_report?", "false"]) == Compare("latest_report", "=", True)
    assert parse(["=", "latest_report?", False]) == Compare("latest_report", "=", False)


def test_regex_and_report_fields():
    assert parse(["and", ["~", "certname", "^node"], ["=", "noop", True]], REPORTS) == \
        And((Match("certname", "^node"), Compare("noop", "=", True)))


@pytest.mark.parametrize("term,message", [
    (["=", "line", "100"], 'Argument "100" is incompatible with numeric field "line".'),
    ([">", "certname", "a"], "Query operators >,>=,<,<= are not allowed on field certname"),
    (["~", "line", "1"], "Query operator ~ is not allowed on field line"),
    ([">", "timestamp", "yesterday"], "'yesterday' is not a valid timestamp value"),
    (["in", "containment_path", ["array", ["a"]]],
     "Operator in...array is not supported on array types"),
    (["=", "timestamp"], "= requires exactly two arguments"),
    (["not", ["=", "status", "a"], ["=", "status", "b"]],
     "'not' takes exactly one argument, but 2 were supplied"),
    ([], "[] is not well-formed: queries must contain at least one operator"),
    (["~", "certname", "("], None),
])
def test_bad_queries_name_the_problem(term, message):
    text = error(term)
    if message is None:
        assert text.startswith("invalid regular expression")
    else:
        assert text == message


def test_an_unknown_field_lists_the_known_ones():
    text = error(["=", "resource-title", "x"])
    assert text.startswith("'resource-title' is not a queryable object for events. "
                           "Known queryable objects are 'certname', 'configuration_version', ")
    assert text.endswith(", 'status', and 'timestamp'")
