"""Each input limit answers a clear 4xx in the API's own format and stores
nothing (docs/security.md, "Limits")."""
from __future__ import annotations

import gzip
import json
from urllib.parse import urlencode

import pytest

# The limits are checked before the store is touched; SQLite is enough.
pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

JOB = {"environment": "production", "owner": {"id": "1", "login": "admin"},
       "nodes": ["a.example.com"]}


def _json(response):
    return json.loads(response.body)


def _events(query: str, **params) -> str:
    return "/experimental/events?" + urlencode({"query": query, **params})


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _jobs(client) -> int:
    return _json(client.http.get("/orchestrator/v1/jobs"))["pagination"]["total"]


def test_a_body_over_the_limit_is_413_and_stores_nothing(client, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_BODY_BYTES", "1024")
    body = json.dumps({**JOB, "description": "x" * 2000}).encode()
    response = client.http.post("/orchestrator/v1/jobs", body=body,
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert _json(response)["kind"] == "puppetlabs.orchestrator/request-too-large"
    assert _jobs(client) == 0


def test_a_gzipped_report_over_the_limit_after_inflating_is_413_in_plain_text(client, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_BODY_BYTES", str(64 << 10))
    body = gzip.compress(json.dumps({"certname": "a", "logs": ["x" * (128 << 10)]}).encode())
    assert len(body) < (64 << 10)       # small on the wire, too big inflated
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname=a", body=body,
                                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("text/plain")
    assert b"larger than 65536 bytes" in response.body


def test_a_deeply_nested_body_is_a_400_not_a_crash(client):
    body = ('{"events": ' + _nested(5000) + "}").encode()
    response = client.http.post("/orchestrator/v1/jobs/1/events", body=body,
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "nested more than" in _json(response)["msg"]


def test_a_deeply_nested_activity_commit_is_a_400_and_stores_nothing(client):
    body = ('{"commit": {"service": {"id": "rbac"}, "events": ' + _nested(5000) + "}}").encode()
    response = client.http.post("/activity-api/v2/events", body=body,
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert _json(client.http.get("/activity-api/v2/events"))["pagination"]["total"] == 0


def test_a_puppetdb_query_over_the_size_limit_is_a_400(client):
    clause = ["=", "certname", "n" * 100]
    assert client.http.get(_events(json.dumps(["or"] + [clause] * 100))).status_code == 200
    response = client.http.get(_events(json.dumps(["or"] + [clause] * 200)))
    assert (response.status_code, response.body) == (
        400, b"The 'query' parameter is longer than 16384 bytes")


def test_a_puppetdb_query_nested_too_deeply_is_a_400(client):
    query = '["not", ' * 40 + '["=", "certname", "a"]' + "]" * 40
    response = client.http.get(_events(query))
    assert (response.status_code, response.body) == (
        400, b"The 'query' parameter is nested more than 32 levels deep")


def test_an_activity_query_over_the_limits_is_a_400_naming_the_parameter(client):
    for query in (_nested(40), json.dumps([{"subject_id": "x" * 20000}])):
        response = client.http.get("/activity-api/v2/events?" + urlencode({"query": query}))
        body = _json(response)
        assert response.status_code == 400 and body["details"]["parameter"] == "query"
        assert body["kind"] == "puppetlabs.activity/invalid-parameter"


@pytest.mark.parametrize("path", ["/activity-api/v2/events?limit=10001",
                                  "/activity-api/v1/events.csv?service_id=rbac&limit=10001"])
def test_an_activity_limit_over_the_maximum_is_a_400(client, path):
    response = client.http.get(path)
    assert response.status_code == 400
    assert "no greater than 10000" in _json(response)["msg"]


def test_the_activity_maximum_itself_is_accepted(client):
    assert client.http.get("/activity-api/v2/events?limit=10000").status_code == 200


def test_a_puppetdb_limit_over_the_maximum_is_a_400(client):
    response = client.http.get(_events(json.dumps(["=", "certname", "a"]), limit="10001"))
    assert response.status_code == 400
    assert b"no greater than 10000" in response.body


def test_a_regex_over_the_length_limit_is_a_400(client, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_REGEX_LENGTH", "16")
    response = client.http.get(_events(json.dumps(["~", "certname", "a" * 17])))
    assert (response.status_code, response.body) == (
        400, b"regular expression longer than 16 characters")


def test_headers_over_the_limit_are_431(client):
    response = client.http.get("/orchestrator/v1/jobs", headers={"X-Padding": "x" * (17 << 10)})
    assert response.status_code == 431
    assert _json(response)["kind"] == "puppetlabs.orchestrator/request-header-fields-too-large"


def _v4(path: str, **params) -> str:
    return f"/pdb/query/v4/{path}?" + urlencode(params)


@pytest.mark.parametrize("path", ["events", "reports", "event-counts?summarize_by=certname"])
def test_v4_queries_nested_too_deeply_are_a_400(client, path):
    query = '["not", ' * 40 + '["=", "certname", "a"]' + "]" * 40
    response = client.http.get(_v4(path, query=query) if "?" not in path
                               else f"/pdb/query/v4/{path}&" + urlencode({"query": query}))
    assert response.status_code == 400
    assert b"nested more than 32 levels deep" in response.body


def test_a_v4_limit_over_the_maximum_is_a_400(client):
    response = client.http.get(_v4("events", limit="10001"))
    assert response.status_code == 400 and b"no greater than 10000" in response.body


def test_a_v4_post_body_nested_too_deeply_is_a_400(client):
    response = client.http.post("/pdb/query/v4/events", headers={"Content-Type": "application/json"},
                                body='{"query": ' + _nested(80) + "}")
    assert response.status_code == 400 and b"nested more than 64 levels deep" in response.body


def test_a_v4_order_by_over_the_size_limit_is_a_400(client):
    order_by = json.dumps([{"field": "certname", "order": "asc"}] * 600)
    response = client.http.get(_v4("events", order_by=order_by))
    assert response.status_code == 400 and b"'order_by' parameter is longer than" in response.body
