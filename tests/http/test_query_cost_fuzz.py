"""Wide and deep queries (issue 20, query cost) over HTTP on both stores with the
demo data: every dialect answers 200 or its own 400 (a cap's names the limit), never a
500 (SQLite once failed 'Expression tree is too large' and 'parser stack
overflow' on such shapes)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings

from chalicelib.cli.demo import load
from tests.query_strategies import wide_activity_queries, wide_id_lists, wide_puppetdb_queries

FUZZ = settings(max_examples=50, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@pytest.fixture
def demo(client, store):
    load(store)
    return client


def _answered(response, content_type: str) -> None:
    assert response.status_code in (200, 400), response.body
    if response.status_code == 400:
        assert response.headers["Content-Type"].startswith(content_type)
        body = response.body.decode()
        assert (json.loads(body)["msg"] if content_type == "application/json" else body)
    else:
        json.loads(response.body)


@FUZZ
@given(term=wide_puppetdb_queries)
def test_wide_puppetdb_queries_answer_200_or_400(demo, term):
    text = json.dumps(term, separators=(",", ":"))
    _answered(demo.http.get("/experimental/events?" + urlencode({"query": text})), "text/plain")
    _answered(demo.http.get("/pdb/query/v4/events?" + urlencode({"query": text})), "text/plain")
    _answered(demo.http.post("/pdb/query/v4/events", headers={"Content-Type": "application/json"},
                             body=json.dumps({"query": term})), "text/plain")


@FUZZ
@given(ids=wide_id_lists, items=wide_activity_queries)
def test_wide_activity_queries_answer_200_or_400(demo, ids, items):
    v1 = {"service_id": "rbac", "object_type": "node_groups", "object_id": ids or "0"}
    _answered(demo.http.get("/activity-api/v1/events?" + urlencode(v1)), "application/json")
    v2 = {"query": json.dumps(items)}
    _answered(demo.http.get("/activity-api/v2/events?" + urlencode(v2)), "application/json")
