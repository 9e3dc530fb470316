"""Orchestrator over real HTTP against `chalice local`, on SQLite and on DynamoDB (moto server)."""
from __future__ import annotations

from tests.factories import job_payload

pytestmark = __import__("pytest").mark.e2e


def test_a_job_runs_and_a_poller_follows_its_events(served, http):
    created = http.post(f"{served}/orchestrator/v1/jobs", json=job_payload(nodes=["a.example.com"]), timeout=10)
    assert created.status_code == 201
    job = created.json()["job"]
    assert job["id"] == f"{served}/orchestrator/v1/jobs/{job['name']}"

    events_url = f"{served}/orchestrator/v1/jobs/{job['name']}/events"
    first = http.get(events_url, timeout=10).json()
    assert first["items"] == []

    for kind in ("node_running", "node_finished"):
        response = http.post(events_url, json={"events": [
            {"type": kind, "details": {"node": "a.example.com", "detail": {"noop": False}}, "message": kind}]},
            timeout=10)
        assert response.status_code == 201
    http.post(events_url, json={"events": [{"type": "job_finished", "details": {}, "message": "done"}]},
                  timeout=10)

    seen = http.get(first["next-events"]["id"], timeout=10).json()
    assert [e["type"] for e in seen["items"]] == ["node_running", "node_finished", "job_finished"]
    after = http.get(seen["next-events"]["id"], timeout=10).json()
    assert after["items"] == [] and after["next-events"] == seen["next-events"]

    detail = http.get(job["id"], timeout=10).json()
    assert detail["state"] == "finished" and detail["node_states"] == {"finished": 1}
    nodes = http.get(f"{job['id']}/nodes", timeout=10).json()
    assert [(n["name"], n["state"]) for n in nodes["items"]] == [("a.example.com", "finished")]
    listing = http.get(f"{served}/orchestrator/v1/jobs?order=desc&order_by=name&limit=1", timeout=10).json()
    assert listing["items"][0]["name"] == job["name"]
    assert isinstance(listing["pagination"]["total"], int)


def test_errors_come_back_in_pe_format(served, http):
    response = http.get(f"{served}/orchestrator/v1/jobs/abc/events", timeout=10)
    assert response.status_code == 400
    assert response.json()["kind"] == "puppetlabs.orchestrator/validation-error"
    response = http.get(f"{served}/orchestrator/v1/jobs/987654/events", timeout=10)
    assert response.status_code == 404
    assert response.json()["kind"] == "puppetlabs.orchestrator/unknown-job"
