"""Any JSON as a query gets a parsed result or the API's own 400, never another
exception (issue 6 item 4): the PuppetDB 1.4 query and order-by parsers and the
activity v2 `query` parser."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from chalicelib.activity import parsing as activity
from chalicelib.errors import ApiError
from chalicelib.puppetdb.dialects import v1_4
from chalicelib.query.ast import Node
from tests.query_strategies import activity_queries, json_values, puppetdb_queries

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def _text(value) -> str:
    return json.dumps(value)      # NaN and Infinity included, as a client could send them


def _is_client_error(error: ApiError) -> bool:
    return error.status == 400 and bool(error.msg)


@FUZZ
@given(puppetdb_queries)
def test_puppetdb_query_json_parses_or_is_a_query_error(term):
    try:
        assert isinstance(v1_4.parse_text(_text(term)), Node)
    except v1_4.QueryError as error:
        assert str(error)


@FUZZ
@given(puppetdb_queries, json_values)
def test_experimental_events_parameters_parse_or_are_400(term, order_by):
    params = {"query": _text(term), "order-by": _text(order_by)}
    try:
        v1_4.event_query(params, None)
    except ApiError as error:
        assert _is_client_error(error), error.msg


@FUZZ
@given(activity_queries)
def test_activity_v2_query_parses_or_is_400(items):
    params = {"query": _text(items)}
    try:
        activity.v2_listing(params.get)
    except ApiError as error:
        assert _is_client_error(error), error.msg
