"""The key rule (chalicelib/limits.py key_problem): a value the stores key by is at most
1000 UTF-8 bytes. Longer is a 400 in the API's own format on every write, and stores
nothing; a read naming one finds nothing. Both adapters alike: DynamoDB refuses keys
past 2048 bytes (partition) and 1024 (sort), which tests/conftest.py enforces on moto."""
from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest

from tests import payloads
from tests.payloads import JSON

LONG = "x" * 1001
LONGER = "y" * 3000


def _report(**changes) -> bytes:
    body = payloads.report("keys.example.com", 1, 2)
    resource = changes.pop("resource", {})
    body.update(changes)
    body["resources"][0].update(resource)
    return json.dumps(body).encode()


@pytest.mark.parametrize("body", [
    _report(certname=LONG), _report(environment=LONG),
    _report(resource={"resource_type": LONG}),
], ids=["certname", "environment", "resource_type"])
def test_a_report_with_a_key_past_the_rule_is_a_400_and_stores_nothing(client, body):
    certname = json.loads(body)["certname"]
    response = client.http.post(payloads.report_path(certname), headers=JSON, body=body)
    assert response.status_code == 400, response.body
    assert "bytes; at most 1000 are stored" in json.loads(response.body)["error"]
    assert json.loads(client.http.get("/pdb/query/v4/reports").body) == []


def test_a_key_of_1000_bytes_is_stored(client):
    body = _report(certname="c" * 1000, environment="e" * 1000)
    response = client.http.post(payloads.report_path("c" * 1000), headers=JSON, body=body)
    assert response.status_code == 200, response.body
    nodes = json.loads(client.http.get("/pdb/query/v4/nodes/" + "c" * 1000).body)
    assert nodes["report_environment"] == "e" * 1000


def test_deactivating_a_node_past_the_rule_is_a_400(client):
    response = client.http.post(
        "/pdb/cmd/v1?" + urlencode({"command": "deactivate node", "version": "3",
                                    "certname": LONG}),
        headers=JSON, body=json.dumps({"certname": LONG}))
    assert response.status_code == 400, response.body
    assert "at most 1000 are stored" in json.loads(response.body)["error"]


@pytest.mark.parametrize("change", ["environment", "owner.login", "nodes"])
def test_a_job_with_a_key_past_the_rule_is_a_400_and_stores_nothing(client, change):
    job = {"type": "deploy", "environment": "production", "owner": {"id": "1", "login": "admin"},
           "description": "", "nodes": ["a.example.com"], "options": {}}
    if change == "owner.login":
        job["owner"]["login"] = LONG
    elif change == "nodes":
        job["nodes"] = ["a.example.com", LONG]
    else:
        job[change] = LONG
    response = client.http.post("/orchestrator/v1/jobs", headers=JSON, body=json.dumps(job))
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["details"]["key"] == change
    assert json.loads(client.http.get("/orchestrator/v1/jobs").body)["items"] == []


@pytest.mark.parametrize("where", ["service", "subject", "object id", "object type"])
def test_a_commit_with_a_key_past_the_rule_is_a_400_and_stores_nothing(client, where):
    body = payloads.commit("keys")
    commit = body["commit"]
    target = {"service": commit["service"], "subject": commit["subject"],
              "object id": commit["objects"][0], "object type": commit["objects"][0]}[where]
    target["type" if where == "object type" else "id"] = LONG
    response = client.http.post("/activity-api/v2/events", headers=JSON, body=json.dumps(body))
    assert response.status_code == 400, response.body
    assert "at most 1000 are stored" in json.loads(response.body)["msg"]
    assert json.loads(client.http.get("/activity-api/v2/events").body)["commits"] == []


READS = {
    "node": "/pdb/query/v4/nodes/" + LONGER,
    "environment": "/pdb/query/v4/environments/" + LONGER,
    "report events": "/pdb/query/v4/reports/" + LONGER + "/events",
    "report metrics": "/pdb/query/v4/reports/" + LONGER + "/metrics",
    "report logs": "/pdb/query/v4/reports/" + LONGER + "/logs",
    "reports by hash": "/pdb/query/v4/reports?" + urlencode(
        {"query": json.dumps(["=", "hash", LONGER])}),
    "environment events": "/pdb/query/v4/environments/" + LONGER + "/events",
    "events by certname": "/pdb/query/v4/events?" + urlencode(
        {"query": json.dumps(["=", "certname", LONGER])}),
    "events by certnames": "/pdb/query/v4/events?" + urlencode(
        {"query": json.dumps(["in", "certname", ["array", [LONGER, "a"]]])}),
    "reports by certname": "/pdb/query/v4/reports?" + urlencode(
        {"query": json.dumps(["=", "certname", LONGER])}),
    "nodes by certname": "/pdb/query/v4/nodes?" + urlencode(
        {"query": json.dumps(["=", "certname", LONGER])}),
    "1.4 events": "/experimental/events?" + urlencode(
        {"query": json.dumps(["=", "certname", LONGER])}),
    "activity v1": "/activity-api/v1/events?service_id=" + quote(LONGER),
    "activity v2 service": "/activity-api/v2/events?service_id=" + quote(LONGER),
    "activity v2 subject": "/activity-api/v2/events?" + urlencode(
        {"query": json.dumps([{"subject_id": LONGER, "subject_type": "users"}])}),
    "activity v2 object": "/activity-api/v2/events?" + urlencode(
        {"query": json.dumps([{"object_id": LONGER, "object_type": "node"}])}),
}


@pytest.mark.parametrize("path", READS.values(), ids=READS.keys())
def test_a_read_naming_a_key_past_any_stored_finds_nothing(client, path):
    response = client.http.get(path)
    assert response.status_code in (200, 404), response.body
    if response.status_code == 200:
        body = json.loads(response.body)
        rows = body.get("commits", body) if isinstance(body, dict) else body
        assert rows == []
