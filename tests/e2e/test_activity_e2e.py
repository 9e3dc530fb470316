"""Activity service over real HTTP against `chalice local`, on SQLite and on DynamoDB
(moto server, stage prod): v1 and v2 commits, v1 and v2 listings with filters and
paging, both CSV exports, and an error in the service's JSON format."""
from __future__ import annotations

import csv
import io
import json

pytestmark = __import__("pytest").mark.e2e

API = "/activity-api"
GROUP = "b55c209d-e68f-4096-9a2c-5ae52dd2500c"


def commit(message, subject, timestamp, service="e2e-classifier"):
    return {"commit": {"service": {"id": service},
                       "subject": {"id": subject, "name": f"{subject}.name"},
                       "objects": [{"id": GROUP, "name": "web_servers", "type": "node_groups"}],
                       "timestamp": timestamp, "ip_address": "10.32.1.7",
                       "events": [{"type": "edit", "what": "node_group",
                                   "description": "edit_node_group", "message": message}]}}


def answer(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def messages(commits):
    return [c["events"][0]["message"] for c in commits]


def test_commits_written_in_v1_and_v2_are_listed_by_both(served, http):
    for n in range(5):
        answer(http.post(f"{served}{API}/v2/events", timeout=10,
                         json=commit(f"v2 #{n}", "kai", f"2019-03-05T18:5{n}:00Z")), 201)
    written = answer(http.post(f"{served}{API}/v1/events", timeout=10, json={"commit": {
        "service": {"id": "e2e-console"}, "subject": {"id": "d1f4", "name": "steve"},
        "object": {"id": "emerald-1", "name": "emerald-1", "type": "node"},
        "events": [{"message": "Scheduled job 3"}]}}), 201)
    assert written["commit"]["object"]["id"] == "emerald-1"

    v1 = answer(http.get(f"{served}{API}/v1/events", timeout=10, params={
        "service_id": "e2e-classifier", "subject_type": "users", "subject_id": "kai",
        "limit": "2", "offset": "1"}))
    assert v1["total-rows"] == 5 and (v1["limit"], v1["offset"]) == (2, 1)
    assert messages(v1["commits"]) == ["v2 #3", "v2 #2"]            # newest first
    console = answer(http.get(f"{served}{API}/v1/events", timeout=10, params={
        "service_id": "e2e-console", "object_type": "node", "object_id": "emerald-1"}))
    assert messages(console["commits"]) == ["Scheduled job 3"]


def test_v2_query_with_time_range_and_paging(served, http):
    for n in range(4):
        answer(http.post(f"{served}{API}/v2/events", timeout=10,
                         json=commit(f"ranged #{n}", "lee", f"2020-01-0{n + 1}T00:00:00Z")), 201)
    query = json.dumps([{"subject_id": "lee"},
                        {"start": "2020-01-02T00:00:00Z", "end": "2020-01-05T00:00:00Z"}])
    pages = []
    for offset in (0, 2):
        page = answer(http.get(f"{served}{API}/v2/events", timeout=10, params={
            "service_id": "e2e-classifier", "query": query, "order": "asc",
            "limit": "2", "offset": str(offset)}))
        assert page["pagination"] == {"total": 3, "limit": 2, "offset": offset}
        pages += page["commits"]
    assert messages(pages) == ["ranged #1", "ranged #2", "ranged #3"]
    assert pages[0]["ip_address"] == "10.32.1.7"


def test_both_csv_exports(served, http):
    answer(http.post(f"{served}{API}/v2/events", timeout=10,
                     json=commit('Renamed "web", with\nnewline', "csv-user", "2021-06-01T00:00:00Z",
                                 service="e2e-csv")), 201)
    for version, last_column in ((1, "Message"), (2, "Ip Address")):
        response = http.get(f"{served}{API}/v{version}/events.csv",
                            params={"service_id": "e2e-csv"}, timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
        assert header[-1] == last_column and row[2] == "csv-user"
        assert 'Renamed "web", with\nnewline' in row


def test_a_rejected_commit_is_400_in_json_and_stores_nothing(served, http):
    bad = commit("no service", "nobody", "2022-01-01T00:00:00Z", service="e2e-rejected")
    del bad["commit"]["service"]
    error = answer(http.post(f"{served}{API}/v2/events", json=bad, timeout=10), 400)
    assert set(error) >= {"kind", "msg"}
    listing = answer(http.get(f"{served}{API}/v2/events", timeout=10,
                            params={"query": json.dumps([{"subject_id": "nobody"}])}))
    assert listing["pagination"]["total"] == 0


def forwarder_get(served, http, **params):
    """GET /activity-api/v2/events as pe_event_forwarding sends it (pe-clients.md 1.2,
    1.3): its headers, and the parameters in its order."""
    response = http.get(f"{served}{API}/v2/events", params=params, timeout=10, headers={
        "Content-Type": "application/json", "Accept": "*/*", "User-Agent": "Ruby"})
    return answer(response)


def forward_new_commits(served, http, service, index, page_size):
    """pe_event_forwarding's activity collection (files/api/activity.rb, pe-clients.md
    1.3): the total from limit=1&offset=0&order=asc, then pages from the stored index
    until a page is short; returns (commits, new index)."""
    total = forwarder_get(served, http, service_id=service, limit=1, offset=0,
                          order="asc")["pagination"]["total"]
    if total - index <= 0:
        return [], index
    commits, offset = [], index
    while True:
        page = forwarder_get(served, http, service_id=service, limit=page_size, offset=offset,
                             order="asc")
        commits += page["commits"]
        offset += page_size
        if len(page["commits"]) != page_size:
            return commits, page["pagination"]["total"]


def test_pe_event_forwarding_collects_the_commits_of_a_job(served, http):
    """A job created and driven through the orchestrator API reaches pe_event_forwarding's
    pe-console collection: one commit per node with document 004's run keys, forwarded
    once; the job's later events change the commits but not the cursor."""
    nodes = ["fwd-a.example.com", "fwd-b.example.com", "fwd-c.example.com"]
    _, index = forward_new_commits(served, http, "pe-console", 0, 2)    # first run: the count
    job = answer(http.post(f"{served}/orchestrator/v1/jobs", timeout=10, json={
        "type": "deploy", "environment": "production", "owner": {"id": "fwd-owner", "login": "admin"},
        "description": "forwarded", "nodes": nodes, "options": {}}), 201)["job"]["name"]
    events_url = f"{served}/orchestrator/v1/jobs/{job}/events"
    answer(http.post(events_url, timeout=10, json={"events": [
        {"type": "node_running", "timestamp": "2022-08-08T23:18:47Z", "details": {"node": n}}
        for n in nodes]}), 201)
    answer(http.post(events_url, timeout=10, json={"events": [
        {"type": "node_finished", "timestamp": "2022-08-08T23:18:52Z", "details": {"node": nodes[0]}},
        {"type": "node_failed", "timestamp": "2022-08-08T23:18:53Z", "details": {"node": nodes[1]}}]}), 201)

    forwarded, new_index = forward_new_commits(served, http, "pe-console", index, 2)
    assert new_index == index + 3 and isinstance(new_index, int)
    assert [c["objects"][0]["id"] for c in forwarded] == nodes
    runs = [c["events"][0] for c in forwarded]
    assert [r["state"] for r in runs] == ["finished", "failed", "running"]
    assert runs[0]["duration"] == 5.0 and runs[0]["finish_timestamp"] == "2022-08-08T23:18:52Z"
    assert "finish_timestamp" not in runs[1] and "duration" not in runs[2]
    assert runs[0]["message"] == \
        f'Request "puppet agent" run on "{nodes[0]}" over "pcp" via orchestrator job "{job}"'

    answer(http.post(events_url, timeout=10, json={"events": [
        {"type": "node_finished", "details": {"node": nodes[2]}},
        {"type": "job_finished", "details": {}}]}), 201)
    assert forward_new_commits(served, http, "pe-console", new_index, 2) == ([], new_index)
