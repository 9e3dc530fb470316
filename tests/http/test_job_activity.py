"""Orchestrator jobs in the activity service (orchestrator/activity.py), over HTTP on both
adapters: a job created through /orchestrator/v1/jobs shows up in /activity-api as PE
records it (document 004's orchestrator keys), and stays current as its events arrive,
without moving the commits' sequence, the asc/offset cursor or the totals."""
from __future__ import annotations

import csv
import io
import json

from tests.factories import job_payload

JSON = {"Content-Type": "application/json"}
OWNER = {"id": "11bf351c-f1ec-11af-11ad-e111fec1a1bd", "login": "admin"}
WEB, DB = "web01.example.com", "db01.example.com"
STATIC = {"type", "what", "description", "name", "message"}


def post(client, path, body):
    response = client.http.post(path, headers=JSON, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return response.json_body


def create(client, nodes=(WEB, DB), **overrides) -> str:
    body = job_payload(nodes=nodes, owner=OWNER, **overrides)
    return post(client, "/orchestrator/v1/jobs", body)["job"]["name"]


def event(kind, node=None, timestamp="2022-08-08T23:18:47Z"):
    details = {"node": node, "detail": {"noop": False}} if node else {}
    return {"type": kind, "timestamp": timestamp, "details": details, "message": kind}


def drive(client, name, *events):
    post(client, f"/orchestrator/v1/jobs/{name}/events", {"events": list(events)})


def pe_console(client, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"service_id": "pe-console", **params}.items())
    response = client.http.get(f"/activity-api/v2/events?{query}")
    assert response.status_code == 200, response.body
    return response.json_body


def runs(client) -> dict:
    """node -> the one event of its commit, from the v2 listing (oldest first)."""
    page = pe_console(client, order="asc")
    found = {}
    for commit in page["commits"]:
        (node,) = commit["objects"]
        (run,) = commit["events"]
        found[node["id"]] = run
    return found


def test_a_puppet_run_job_is_recorded_as_pe_records_it(client):
    name = create(client)
    page = pe_console(client, order="asc")
    assert page["pagination"]["total"] == 2
    web, db = page["commits"]
    assert web["objects"] == [{"id": WEB, "name": WEB, "type": "node"}]
    assert web["subject"] == {"id": OWNER["id"], "name": "admin"}
    assert db["objects"][0]["id"] == DB
    assert web["events"] == [{
        "type": "puppet_agent", "what": "node", "description": "request_puppet_agent_on_node",
        "name": "puppet agent", "state": "new",
        "message": f'Request "puppet agent" run on "{WEB}" over "pcp" via orchestrator job "{name}"'}]


def test_the_run_keys_follow_the_jobs_events_and_the_cursor_stays(client):
    """node_running, then node_finished on one node and node_failed on the other, then
    job_finished: after each step exactly document 004's keys for that state."""
    name = create(client)
    before = pe_console(client, order="asc")
    assert {k for k in runs(client)[WEB]} == STATIC | {"state"}

    drive(client, name, event("node_running", WEB, "2022-08-08T23:18:47Z"),
          event("node_running", DB, "2022-08-08T23:18:48Z"))
    for node, start in ((WEB, "2022-08-08T23:18:47Z"), (DB, "2022-08-08T23:18:48Z")):
        run = runs(client)[node]
        assert set(run) == STATIC | {"state", "start_timestamp"}     # in progress: no finish
        assert (run["state"], run["start_timestamp"]) == ("running", start)

    drive(client, name, event("node_finished", WEB, "2022-08-08T23:18:51.898Z"),
          event("node_failed", DB, "2022-08-08T23:18:53Z"))
    web, db = runs(client)[WEB], runs(client)[DB]
    assert set(web) == STATIC | {"state", "start_timestamp", "finish_timestamp", "duration"}
    assert web["state"] == "finished" and web["finish_timestamp"] == "2022-08-08T23:18:51Z"
    assert web["duration"] == 4.898 and isinstance(web["duration"], float)
    assert set(db) == STATIC | {"state", "start_timestamp"}         # failed: no finish
    assert db["state"] == "failed"

    drive(client, name, event("job_finished", timestamp="2022-08-08T23:18:54Z"))
    assert runs(client) == {WEB: web, DB: db}

    after = pe_console(client, order="asc")
    assert after["pagination"] == before["pagination"]              # totals unchanged
    assert [c["objects"] for c in after["commits"]] == [c["objects"] for c in before["commits"]]
    assert pe_console(client, order="asc", offset=2)["commits"] == []   # nothing appended


def test_a_task_job_records_run_task_with_the_task_name(client):
    name = create(client, nodes=(WEB,), type="task", options={"task": "facter_task"})
    (run,) = runs(client).values()
    assert run == {"type": "run_task", "what": "node", "description": "request_facter_task_on_node",
                   "name": "facter_task", "state": "new",
                   "message": f'Request "facter_task" task on "{WEB}" over "pcp" '
                              f'via orchestrator job "{name}"'}


def test_an_aborted_job_shows_its_unfinished_runs_stopped(client):
    name = create(client)
    drive(client, name, event("node_running", WEB), event("job_aborted"))
    found = runs(client)
    assert found[WEB]["state"] == found[DB]["state"] == "stopped"
    assert "finish_timestamp" not in found[WEB] and "start_timestamp" in found[WEB]


def test_every_listing_shows_the_current_run(client):
    """v1, v2 filtered by the node and v2 of every service read the same run keys."""
    name = create(client, nodes=(WEB,))
    drive(client, name, event("node_running", WEB))
    v1 = client.http.get(f"/activity-api/v1/events?service_id=pe-console&object_type=node&object_id={WEB}")
    assert v1.json_body["commits"][0]["events"][0]["state"] == "running"
    query = json.dumps([{"object_type": "node", "object_id": WEB}])
    by_node = client.http.get("/activity-api/v2/events?query=" + query)
    everything = client.http.get("/activity-api/v2/events")
    for response in (by_node, everything):
        assert response.json_body["commits"][0]["events"][0]["state"] == "running"


def test_both_csv_downloads_show_the_job_commits(client):
    name = create(client)
    for version in (1, 2):
        response = client.http.get(f"/activity-api/v{version}/events.csv?service_id=pe-console")
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.body.decode())))
        assert [(r["Object Id"], r["Type"], r["What"], r["Description"]) for r in rows] == [
            (node, "puppet_agent", "node", "request_puppet_agent_on_node") for node in (DB, WEB)]
        assert rows[0]["Message"] == \
            f'Request "puppet agent" run on "{DB}" over "pcp" via orchestrator job "{name}"'
        assert rows[0]["Subject Id"] == OWNER["id"] and rows[0]["Subject Name"] == "admin"


def test_the_setting_turns_the_recording_off(client, monkeypatch):
    monkeypatch.setenv("EVENTS_RECORD_JOB_ACTIVITY", "false")
    create(client)
    assert pe_console(client)["pagination"]["total"] == 0
    everything = client.http.get("/activity-api/v2/events").json_body
    assert everything["pagination"]["total"] == 0
