"""Answers bounded by bytes as well as rows (issue 20 item 4), on both adapters:
each listing stops before the answer budget (EVENTS_MAX_RESPONSE_BYTES, counted as
Lambda's JSON envelope counts it) and says how to continue; following that gives
every item exactly once. Data that the write side may refuse today (big commits,
big event messages) goes in through the port, as older data would be there."""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

import pytest

from chalicelib import answer_budget
from chalicelib.activity.model import Entity, NewCommit
from tests.factories import new_job, node_event
from tests.payloads import JSON, report, report_path

BUDGET = 20_000


@pytest.fixture
def small_budget(monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_RESPONSE_BYTES", str(BUDGET))


def _within_budget(response, limit=BUDGET):
    assert response.status_code == 200, response.body
    assert answer_budget.cost(response.body.decode("utf-8")) <= limit


# ---------------------------------------------------------------- activity CSV

def _rows(response):
    return list(csv.reader(io.StringIO(response.body.decode("utf-8"), newline="")))[1:]


def test_the_objects_times_events_commit_is_cut_at_the_default_budget(client):
    """Issue 20's case: 45 objects x 40,000 empty events answered 98.6 MB for limit=1."""
    client.store.add_commit(NewCommit(
        service_id="rbac", subject=Entity("u1", "kai"),
        objects=tuple(Entity(f"o{i}", f"object {i}", "node") for i in range(45)),
        timestamp="2026-11-30T23:29:49.808000Z", events=({},) * 40_000))
    response = client.http.get("/activity-api/v2/events.csv?limit=1")
    _within_budget(response, answer_budget.limit())
    assert response.headers["X-Commit-Truncated"] == "true"
    assert response.headers["X-Next-Offset"] == "1"


@pytest.mark.parametrize("version", [1, 2])
def test_a_csv_download_stops_at_a_whole_commit_and_the_offset_continues(client, small_budget,
                                                                         version):
    for n in range(12):
        client.store.add_commit(NewCommit(
            service_id="rbac", subject=Entity("u1", "kai"),
            objects=(Entity("g1", "group", "node_groups"), Entity("g2", "group 2", "node_groups")),
            timestamp=f"2026-11-30T23:29:{n:02d}.000000Z",
            events=tuple({"message": f"{n}/{e}/" + "x" * 200} for e in range(10))))
    offset, rows, pages = 0, [], 0
    while True:
        response = client.http.get(f"/activity-api/v{version}/events.csv?service_id=rbac"
                                   f"&order=asc&offset={offset}")
        _within_budget(response)
        assert "X-Commit-Truncated" not in response.headers
        rows += _rows(response)
        pages += 1
        if "X-Next-Offset" not in response.headers:
            break
        offset = int(response.headers["X-Next-Offset"])
    per_commit = 10 * version
    assert pages > 1 and len(rows) == 12 * per_commit
    assert [row[10].split("/")[0] for row in rows[::per_commit]] == [str(n) for n in range(12)]


# ---------------------------------------------------------------- orchestrator

def test_an_orchestrator_events_page_stops_and_next_events_continues(client, small_budget):
    job = client.store.create_job(new_job(nodes=["a.example.com"]))
    big = [node_event("node_running", "a.example.com") for _ in range(40)]
    big = [e.__class__(**{**e.__dict__, "message": f"{i}:" + "m" * 2_000}) for i, e in enumerate(big)]
    client.store.append_job_events(job.number, big)
    start, messages, pages = 0, [], 0
    while True:
        response = client.http.get(f"/orchestrator/v1/jobs/{job.number}/events?start={start}")
        _within_budget(response)
        body = response.json_body
        if not body["items"]:
            break
        messages += [item["message"].split(":")[0] for item in body["items"]]
        pages += 1
        start = int(body["next-events"]["event"])
        assert body["next-events"]["id"].endswith(f"start={start}")
    assert pages > 1 and messages == [str(i) for i in range(40)]


# ---------------------------------------------------------------- PuppetDB listings

@pytest.fixture
def big_reports(client):
    for run in range(3):
        body = report("a.example.com", run, events=10)
        for resource in body["resources"]:
            resource["events"][0]["message"] = "y" * 1_500
        response = client.http.post(report_path("a.example.com"), headers=JSON,
                                    body=json.dumps(body))
        assert response.status_code == 200, response.body


@pytest.mark.parametrize("path,order,limit", [
    ("/experimental/events", "order-by", BUDGET),
    ("/pdb/query/v4/events", "order_by", BUDGET),
    ("/pdb/query/v4/reports", "order_by", 2_500),     # a report is about 1 KB
])
def test_a_puppetdb_listing_stops_short_with_x_next_offset(client, big_reports, monkeypatch,
                                                           path, order, limit):
    monkeypatch.setenv("EVENTS_MAX_RESPONSE_BYTES", str(limit))
    field = "resource_title" if path.endswith("events") else "start_time"
    offset, seen, pages = 0, [], 0
    query = ["=", "certname", "a.example.com"]
    while True:
        params = {"query": json.dumps(query), "limit": 1000, "offset": offset,
                  order: json.dumps([{"field": field}])}
        params["include-total" if path.startswith("/experimental") else "include_total"] = "true"
        response = client.http.get(f"{path}?{urlencode(params)}")
        _within_budget(response, limit)
        items = json.loads(response.body)
        seen += [item.get("resource_title") or item.get("resource-title") or item["hash"]
                 for item in items]
        pages += 1
        total = int(response.headers["X-Records"])
        if "X-Next-Offset" not in response.headers:
            assert offset + len(items) == total
            break
        offset = int(response.headers["X-Next-Offset"])
        assert offset == len(seen) < total
    assert pages > 1 and len(seen) == len(set(seen)) == total


def test_a_listing_within_the_budget_has_no_next_offset(client, big_reports):
    response = client.http.get('/pdb/query/v4/events?query=["=","certname","a.example.com"]')
    assert response.status_code == 200 and len(json.loads(response.body)) == 30
    assert "X-Next-Offset" not in response.headers


def test_orchestrator_events_with_300_kb_messages_fit_the_default_budget(client):
    """Issue 20's case: 400 KB messages made one events page 160 MB (300 KB here, so that
    an event stays inside DynamoDB's 400 KB item)."""
    job = client.store.create_job(new_job(nodes=["a.example.com"]))
    events = [node_event("node_running", "a.example.com") for _ in range(24)]
    client.store.append_job_events(job.number, [
        e.__class__(**{**e.__dict__, "message": "m" * 300_000}) for e in events])
    response = client.http.get(f"/orchestrator/v1/jobs/{job.number}/events")
    _within_budget(response, answer_budget.limit())
    body = response.json_body
    assert 0 < len(body["items"]) < 24
    assert body["next-events"]["event"] == str(int(body["items"][-1]["id"]) + 1)
