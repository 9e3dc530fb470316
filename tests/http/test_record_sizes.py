"""The record rule (chalicelib/limits.py record_problem): one stored record (a resource
event, an activity commit, a job) holds at most 350,000 bytes of text, on both adapters:
a DynamoDB item holds at most 400 KB (moto checks it). Past it, a 413 in the API's format
that stores nothing; up to it, stored and read back whole."""
from __future__ import annotations

import json

import pytest

from tests import payloads
from tests.payloads import JSON

PAST = 360_000
WITHIN = 300_000


def _report(size: int) -> bytes:
    body = payloads.report("records.example.com", 1, 2)
    body["resources"][0]["events"][0]["message"] = "m" * size
    return json.dumps(body).encode()


def test_a_resource_event_past_the_record_rule_is_a_413_and_stores_nothing(client):
    response = client.http.post(payloads.report_path("records.example.com"), headers=JSON,
                                body=_report(PAST))
    assert response.status_code == 413, response.body
    assert "at most 350000 are stored in one record" in response.body.decode()
    assert json.loads(client.http.get("/pdb/query/v4/reports").body) == []


def test_a_resource_event_within_the_record_rule_is_stored_whole(client):
    response = client.http.post(payloads.report_path("records.example.com"), headers=JSON,
                                body=_report(WITHIN))
    assert response.status_code == 200, response.body
    events = json.loads(client.http.get("/pdb/query/v4/events?" + "query=" + json.dumps(
        ["=", "latest_report?", True])).body)
    assert max(len(e["message"] or "") for e in events) == WITHIN


def _commit(size: int) -> str:
    body = payloads.commit("records")
    body["commit"]["events"][0]["description"] = "d" * size
    return json.dumps(body)


@pytest.mark.parametrize("size, status", [(PAST, 413), (WITHIN, 201)])
def test_a_commit_is_stored_whole_within_the_record_rule_and_refused_past_it(client, size, status):
    response = client.http.post("/activity-api/v2/events", headers=JSON, body=_commit(size))
    assert response.status_code == status, response.body
    commits = json.loads(client.http.get("/activity-api/v2/events").body)["commits"]
    assert [len(c["events"][0]["description"]) for c in commits] == ([] if status == 413 else [WITHIN])


def _job(size: int) -> str:
    return json.dumps({"type": "deploy", "environment": "production",
                       "owner": {"id": "1", "login": "admin"}, "description": "j" * size,
                       "nodes": ["a.example.com", "b.example.com"], "options": {}})


@pytest.mark.parametrize("size, status", [(PAST, 413), (WITHIN, 201)])
def test_a_job_is_stored_within_the_record_rule_and_refused_past_it(client, size, status):
    response = client.http.post("/orchestrator/v1/jobs", headers=JSON, body=_job(size))
    assert response.status_code == status, response.body
    jobs = json.loads(client.http.get("/orchestrator/v1/jobs").body)["items"]
    assert [len(j["description"]) for j in jobs] == ([] if status == 413 else [WITHIN])
