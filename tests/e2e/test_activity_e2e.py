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
