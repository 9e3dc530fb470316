"""Write bounds (issue 20, item 5; docs/security.md "Write bounds"): what one request
may store. Each refusal is a 4xx in the API's own format and stores nothing, on both
adapters."""
from __future__ import annotations

import gzip
import hashlib
import json
from urllib.parse import urlencode

import pytest

from tests.payloads import JSON, commit, job_payload, report, report_path

V2_FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def _stored_reports(client) -> list[dict]:
    response = client.http.get("/pdb/query/v4/reports")
    assert response.status_code == 200
    return json.loads(response.body)


def _v2_form(events: int, end: str = "2026-11-22T10:00:05Z") -> str:
    """A 1.4 `store report` v2 command form with `events` resource events."""
    payload = {"certname": "a.example.com", "puppet-version": "3.0.1", "report-format": 3,
               "configuration-version": "1", "start-time": "2026-11-22T10:00:00Z",
               "end-time": end, "transaction-uuid": None,
               "resource-events": [
                   {"status": "success", "timestamp": "2026-11-22T10:00:01Z",
                    "resource-type": "Notify", "resource-title": f"n{i}", "property": "message",
                    "new-value": "x", "old-value": "absent", "message": "m", "file": None,
                    "line": None, "containment-path": None} for i in range(events)]}
    command = json.dumps({"command": "store report", "version": 2, "payload": payload})
    return urlencode({"checksum": hashlib.sha1(command.encode()).hexdigest(),
                      "payload": command})


# ------------------------------------------------------------ events per report

def test_a_v8_report_past_the_event_cap_is_413_in_plain_text_and_stores_nothing(client, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_REPORT_EVENTS", "5")
    response = client.http.post(report_path("a.example.com"), headers=JSON,
                                body=json.dumps(report("a.example.com", 1, events=6)))
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("text/plain")
    assert b"more than 5 resource events" in response.body
    assert _stored_reports(client) == []
    at_the_cap = client.http.post(report_path("a.example.com"), headers=JSON,
                                  body=json.dumps(report("a.example.com", 2, events=5)))
    assert at_the_cap.status_code == 200


def test_a_v2_report_past_the_event_cap_is_413_and_stores_nothing(client, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_REPORT_EVENTS", "5")
    response = client.http.post("/v2/commands", body=_v2_form(6), headers=V2_FORM)
    assert (response.status_code, response.body) == (
        413, b"the report has more than 5 resource events")
    assert _stored_reports(client) == []
    assert client.http.post("/v2/commands", body=_v2_form(5), headers=V2_FORM).status_code == 200


# ------------------------------------------------------------ gzip bodies

@pytest.mark.parametrize("trailer", [b"garbage", gzip.compress(b"{}")],
                         ids=["garbage", "second-member"])
def test_a_gzip_body_with_data_after_its_stream_is_400_and_stores_nothing(client, trailer):
    body = gzip.compress(json.dumps(report("a.example.com", 1)).encode()) + trailer
    response = client.http.post(report_path("a.example.com"), body=body,
                                headers={**JSON, "Content-Encoding": "gzip"})
    assert (response.status_code, response.body) == (
        400, b"The request body has data after its gzip stream")
    assert _stored_reports(client) == []


# ------------------------------------------------------------ activity commits

@pytest.mark.parametrize("version", [1, 2])
def test_a_commit_past_the_objects_x_events_cap_is_413_and_stores_nothing(client, monkeypatch,
                                                                          version):
    monkeypatch.setenv("EVENTS_MAX_COMMIT_ROWS", "6")
    body = commit("mallory", events=4)
    body["commit"]["objects"] = [{"id": f"g{i}", "name": "g", "type": "node_groups"}
                                 for i in range(2)]
    if version == 1:        # v1 has one object: the cap is on its events alone
        body["commit"]["objects"] = body["commit"]["objects"][:1]
        body["commit"]["events"] *= 2
    response = client.http.post(f"/activity-api/v{version}/events", body=json.dumps(body),
                                headers=JSON)
    assert response.status_code == 413
    error = json.loads(response.body)
    assert error["kind"] == "puppetlabs.activity/request-too-large"
    assert "at most 6 objects x events" in error["msg"]
    listing = client.http.get("/activity-api/v2/events?service_id=faults")
    assert json.loads(listing.body)["pagination"]["total"] == 0
    body["commit"]["events"] = body["commit"]["events"][:3]
    assert client.http.post(f"/activity-api/v{version}/events", body=json.dumps(body),
                            headers=JSON).status_code == 201


# ------------------------------------------------------------ orchestrator events

def _job(client) -> str:
    response = client.http.post("/orchestrator/v1/jobs", body=json.dumps(job_payload()),
                                headers=JSON)
    return response.json_body["job"]["name"]


def _job_events(client, name) -> list:
    return client.http.get(f"/orchestrator/v1/jobs/{name}/events").json_body["items"]


def _event(message="ok", **details) -> dict:
    return {"type": "node_running", "message": message,
            "details": {"node": "a.example.com", **details}}


@pytest.mark.parametrize("event,key", [
    (_event(message="é" * 1025), "events[1].message"),          # 2050 UTF-8 bytes
    (_event(detail={"log": "x" * 2048}), "events[1].details"),
], ids=["message", "details"])
def test_an_orchestrator_event_past_its_field_size_is_413_and_stores_nothing(client, event, key):
    name = _job(client)
    response = client.http.post(f"/orchestrator/v1/jobs/{name}/events", headers=JSON,
                                body=json.dumps({"events": [_event(), event]}))
    assert response.status_code == 413
    error = response.json_body
    assert error["kind"] == "puppetlabs.orchestrator/request-too-large"
    assert error["details"] == {"key": key} and "at most 2048 are stored" in error["msg"]
    assert _job_events(client, name) == []
    at_the_limit = _event(message="é" * 1024)        # 2048 bytes
    response = client.http.post(f"/orchestrator/v1/jobs/{name}/events", headers=JSON,
                                body=json.dumps({"events": [at_the_limit]}))
    assert response.status_code == 201
    assert [e["message"] for e in _job_events(client, name)] == ["é" * 1024]


# ------------------------------------------------------------ details.detail (item 7)

@pytest.mark.parametrize("detail", ["x", 5, [1]], ids=["string", "number", "array"])
def test_a_node_event_detail_that_is_not_an_object_is_a_400_validation_error(client, detail):
    name = _job(client)
    response = client.http.post(f"/orchestrator/v1/jobs/{name}/events", headers=JSON,
                                body=json.dumps({"events": [_event(detail=detail)]}))
    assert response.status_code == 400
    assert response.json_body["kind"] == "puppetlabs.orchestrator/validation-error"
    assert response.json_body["details"] == {"key": "events[0].details.detail"}
    assert _job_events(client, name) == []
