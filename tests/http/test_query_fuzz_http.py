"""Hostile query JSON over HTTP, on both stores holding the demo data: the answer is
200 or the API's own 400, never a 500 (issue 6 item 4)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings

from chalicelib.cli.demo import load
from tests.query_strategies import activity_queries, json_values, puppetdb_queries

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def demo(client, store):
    load(store)
    return client


def assert_answered(response, content_type: str):
    assert response.status_code in (200, 400), response.body
    assert response.headers["Content-Type"].startswith(content_type), response.headers
    if response.status_code == 400 and content_type == "application/json":
        assert response.json_body["kind"].startswith("puppetlabs.activity/")


@FUZZ
@given(term=puppetdb_queries, order_by=json_values)
def test_experimental_events_answer_200_or_plain_text_400(demo, term, order_by):
    params = {"query": json.dumps(term)}
    response = demo.http.get("/experimental/events?" + urlencode(params))
    assert_answered(response, "application/json" if response.status_code == 200 else "text/plain")
    params["order-by"] = json.dumps(order_by)
    response = demo.http.get("/experimental/events?" + urlencode(params))
    assert_answered(response, "application/json" if response.status_code == 200 else "text/plain")


@FUZZ
@given(items=activity_queries)
def test_activity_v2_query_in_the_url_or_body_answers_200_or_400(demo, items):
    for path in ("/activity-api/v2/events", "/activity-api/v2/events.csv"):
        response = demo.http.get(f"{path}?" + urlencode({"query": json.dumps(items)}))
        assert_answered(response, "application/json" if response.status_code == 400
                        or not path.endswith(".csv") else "text/csv")
    response = demo.http.get("/activity-api/v2/events", body=json.dumps({"query": items}),
                             headers={"Content-Type": "application/json"})
    assert_answered(response, "application/json")
