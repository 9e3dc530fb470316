"""Orchestrator over HTTP (chalice.test.Client), on both adapters: shapes, statuses, error bodies."""
from __future__ import annotations

import json

import pytest

from tests.factories import job_payload

JSON = {"Content-Type": "application/json"}


def post(client, path, body):
    return client.http.post(path, headers=JSON, body=json.dumps(body) if not isinstance(body, bytes) else body)


def create(client, **overrides) -> str:
    response = post(client, "/orchestrator/v1/jobs", job_payload(**overrides))
    assert response.status_code == 201, response.body
    return response.json_body["job"]["name"]


def add_events(client, name, *events):
    return post(client, f"/orchestrator/v1/jobs/{name}/events", {"events": list(events)})


def running(node="a.example.com"):
    return {"type": "node_running", "timestamp": "2016-05-05T21:50:08+02:00",
            "details": {"node": node, "detail": {"noop": False}},
            "message": f"Started puppet run on {node} ..."}


def assert_error(response, status, kind):
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json_body
    assert body["kind"] == kind
    assert isinstance(body["msg"], str) and body["msg"]
    assert "details" in body


# ------------------------------------------------------------------ writes

def test_create_job_answers_201_with_url_and_name(client):
    response = post(client, "/orchestrator/v1/jobs", job_payload())
    assert response.status_code == 201
    assert response.json_body == {"job": {"id": "http://localhost/orchestrator/v1/jobs/1", "name": "1"}}


def test_links_follow_the_forwarded_scheme_and_host(client):
    response = client.http.post("/orchestrator/v1/jobs", body=json.dumps(job_payload()),
                                headers={**JSON, "Host": "events.example.com",
                                         "X-Forwarded-Proto": "https"})
    assert response.json_body["job"]["id"] == "https://events.example.com/orchestrator/v1/jobs/1"


def test_posting_events_answers_201_with_their_ids(client):
    name = create(client)
    response = add_events(client, name, running())
    assert response.status_code == 201
    (event,) = response.json_body["items"]
    assert event["id"] == "1" and event["type"] == "node_running"
    assert event["timestamp"] == "2016-05-05T19:50:08Z"   # normalised to UTC


@pytest.mark.parametrize("body", [
    {"environment": "production", "nodes": ["a"]},                              # no owner
    job_payload(nodes=[]),
    job_payload(nodes=["a", "a"]),
    job_payload(type="reboot"),
    job_payload(options=[1]),
    job_payload(surprise=True),
    [1, 2],
])
def test_a_bad_job_is_a_validation_error_and_creates_nothing(client, body):
    assert_error(post(client, "/orchestrator/v1/jobs", body), 400, "puppetlabs.orchestrator/validation-error")
    assert client.http.get("/orchestrator/v1/jobs").json_body["pagination"]["total"] == 0


def test_a_body_that_is_not_json_is_a_validation_error(client):
    assert_error(post(client, "/orchestrator/v1/jobs", b"{not json"), 400,
                 "puppetlabs.orchestrator/validation-error")


@pytest.mark.parametrize("event", [
    {"type": "node_exploded", "details": {"node": "a.example.com"}, "message": "?"},
    {"type": "node_running", "details": {}, "message": "no node"},
    {"type": "node_running", "details": {"node": "a.example.com"}, "timestamp": "yesterday"},
    {"type": "job_finished", "details": "done"},
])
def test_a_bad_event_is_a_validation_error_and_stores_nothing(client, event):
    name = create(client, nodes=["a.example.com"])
    response = add_events(client, name, running(), event)
    assert_error(response, 400, "puppetlabs.orchestrator/validation-error")
    assert client.http.get(f"/orchestrator/v1/jobs/{name}/events").json_body["items"] == []


def test_an_event_for_a_node_outside_the_job_is_rejected(client):
    name = create(client, nodes=["a.example.com"])
    assert_error(add_events(client, name, running("b.example.com")), 400,
                 "puppetlabs.orchestrator/validation-error")


def test_events_after_job_finished_are_a_conflict(client):
    name = create(client)
    add_events(client, name, {"type": "job_finished", "details": {}, "message": "done"})
    assert_error(add_events(client, name, running()), 409, "puppetlabs.orchestrator/job-complete")


def test_events_for_an_unknown_job_are_a_404(client):
    assert_error(add_events(client, "41", running()), 404, "puppetlabs.orchestrator/unknown-job")


# ------------------------------------------------------------------ events read

def test_events_page_has_the_documented_shape(client):
    name = create(client)
    add_events(client, name, running())
    body = client.http.get(f"/orchestrator/v1/jobs/{name}/events?start=1").json_body
    assert body == {
        "next-events": {"id": f"http://localhost/orchestrator/v1/jobs/{name}/events?start=2",
                        "event": "2"},
        "items": [{"id": "1", "type": "node_running", "timestamp": "2016-05-05T19:50:08Z",
                   "details": {"node": "a.example.com", "detail": {"noop": False}},
                   "message": "Started puppet run on a.example.com ..."}],
    }


def test_start_is_the_lowest_id_returned(client):
    name = create(client, nodes=["a.example.com", "b.example.com"])
    add_events(client, name, running("a.example.com"), running("b.example.com"))
    items = client.http.get(f"/orchestrator/v1/jobs/{name}/events?start=2").json_body["items"]
    assert [i["id"] for i in items] == ["2"]


def test_next_events_is_present_and_points_at_start_when_nothing_is_new(client):
    name = create(client)
    body = client.http.get(f"/orchestrator/v1/jobs/{name}/events?start=5").json_body
    assert body["items"] == []
    assert body["next-events"]["event"] == "5"
    assert body["next-events"]["id"].endswith(f"/jobs/{name}/events?start=5")


def test_polling_next_events_sees_each_event_once(client):
    name = create(client)
    first = client.http.get(f"/orchestrator/v1/jobs/{name}/events").json_body
    add_events(client, name, running())
    second = client.http.get(f"/orchestrator/v1/jobs/{name}/events?start={first['next-events']['event']}").json_body
    third = client.http.get(f"/orchestrator/v1/jobs/{name}/events?start={second['next-events']['event']}").json_body
    assert [i["id"] for i in second["items"]] == ["1"] and third["items"] == []


def test_all_eight_event_types_are_served(client):
    nodes = ["n1", "n2", "n3", "n4", "n5"]
    name = create(client, nodes=nodes)
    kinds = ["node_running", "node_errored", "node_failed", "node_finished", "node_skipped"]
    add_events(client, name, *[{"type": k, "details": {"node": n}, "message": k} for k, n in zip(kinds, nodes)],
               {"type": "job_stopping", "details": {}, "message": "stopping"},
               {"type": "job_aborted", "details": {}, "message": "aborted"})
    other = create(client)
    add_events(client, other, {"type": "job_finished", "details": {"state": "finished"}, "message": "done"})
    served = [i["type"] for n in (name, other)
              for i in client.http.get(f"/orchestrator/v1/jobs/{n}/events").json_body["items"]]
    assert sorted(served) == sorted(kinds + ["job_stopping", "job_aborted", "job_finished"])


@pytest.mark.parametrize("path", [
    "/orchestrator/v1/jobs/abc/events",
    "/orchestrator/v1/jobs/1.5/events",
    "/orchestrator/v1/jobs/%C2%B2/events",                    # "²": isdigit() but not int()
    "/orchestrator/v1/jobs/860483173405637157584896/events",  # beyond SQLite's integers
    "/orchestrator/v1/jobs/860483173405637157584896/nodes",
    "/orchestrator/v1/jobs/abc/report",
    "/orchestrator/v1/jobs/860483173405637157584896/report",
    "/orchestrator/v1/jobs/1/events?start=860483173405637157584896",
    "/orchestrator/v1/jobs?offset=860483173405637157584896",
    "/orchestrator/v1/jobs/1/events?start=x",
    "/orchestrator/v1/jobs/1/events?start=-1",
    "/orchestrator/v1/jobs/abc",
    "/orchestrator/v1/jobs?limit=ten",
    "/orchestrator/v1/jobs?offset=-3",
    "/orchestrator/v1/jobs?order=sideways",
    "/orchestrator/v1/jobs?order_by=colour",
    "/orchestrator/v1/jobs?type=reboot",
    "/orchestrator/v1/jobs?min_finish_timestamp=noon",
    "/orchestrator/v1/jobs?max_finish_timestamp=0001-01-01T00:00:00%2B14:00",  # year 0 in UTC
])
def test_non_integer_ids_and_bad_parameters_are_validation_errors(client, path):
    create(client)
    assert_error(client.http.get(path), 400, "puppetlabs.orchestrator/validation-error")


@pytest.mark.parametrize("path", ["/orchestrator/v1/jobs/7/events", "/orchestrator/v1/jobs/7",
                                  "/orchestrator/v1/jobs/7/nodes", "/orchestrator/v1/jobs/7/report"])
def test_unknown_jobs_are_404(client, path):
    assert_error(client.http.get(path), 404, "puppetlabs.orchestrator/unknown-job")


# ------------------------------------------------------------------ jobs read

def test_jobs_list_has_items_and_integer_pagination(client):
    for _ in range(3):
        create(client)
    body = client.http.get("/orchestrator/v1/jobs?limit=2&offset=1").json_body
    assert body["pagination"] == {"limit": 2, "offset": 1, "total": 3}
    assert [j["name"] for j in body["items"]] == ["2", "3"]


def test_newest_job_name_by_order_desc_limit_1(client):
    """pe_event_forwarding's cursor: ?limit=1&offset=0&order=desc&order_by=name."""
    for _ in range(11):
        create(client)
    body = client.http.get("/orchestrator/v1/jobs?limit=1&offset=0&order=desc&order_by=name").json_body
    assert [j["name"] for j in body["items"]] == ["11"]


def test_job_has_pe_keys_and_status_history(client):
    name = create(client, nodes=["a.example.com"])
    add_events(client, name, running())
    job = client.http.get(f"/orchestrator/v1/jobs/{name}").json_body
    assert job["id"] == f"http://localhost/orchestrator/v1/jobs/{name}" and job["name"] == name
    assert job["state"] == "running" and job["type"] == "deploy" and job["command"] == "deploy"
    assert job["owner"] == {"id": "42bf351c", "login": "admin"}
    assert job["environment"] == {"name": "production"}
    assert job["node_count"] == 1 and job["node_states"] == {"running": 1}
    assert job["events"] == {"id": f"http://localhost/orchestrator/v1/jobs/{name}/events"}
    assert [s["state"] for s in job["status"]] == ["new", "running"]
    assert job["finished_timestamp"] is None


def test_job_type_filter(client):
    create(client, type="task")
    create(client, type="deploy")
    body = client.http.get("/orchestrator/v1/jobs?type=task").json_body
    assert [j["type"] for j in body["items"]] == ["task"] and body["pagination"]["total"] == 1


def test_nodes_listing_has_next_events(client):
    name = create(client, nodes=["a.example.com", "b.example.com"])
    add_events(client, name, running())
    body = client.http.get(f"/orchestrator/v1/jobs/{name}/nodes").json_body
    assert body["next-events"]["event"] == "2"
    assert [(n["name"], n["state"]) for n in body["items"]] == [("a.example.com", "running"),
                                                               ("b.example.com", "new")]


def test_the_job_report_link_leads_to_each_nodes_state_and_event_ids(client, monkeypatch):
    """PE's GET /jobs/<id>/report: {"items": [{node, state, timestamp, events}]}, read
    over pages of the job's events (a page of 2 here, so the report spans three)."""
    from chalicelib.orchestrator import parsing
    monkeypatch.setattr(parsing, "MAX_EVENTS_PER_PAGE", 2)
    name = create(client, nodes=["a.example.com", "b.example.com", "c.example.com"])
    add_events(client, name, running("a.example.com"), running("b.example.com"),
               {"type": "node_finished", "timestamp": "2016-05-05T19:51:00Z",
                "details": {"node": "a.example.com", "detail": {"status": "changed"}},
                "message": "Finished puppet run on a.example.com - changed"},
               {"type": "node_failed", "timestamp": "2016-05-05T19:51:30Z",
                "details": {"node": "b.example.com", "detail": {"status": "failed"}},
                "message": "Finished puppet run on b.example.com - failed"})
    job = client.http.get(f"/orchestrator/v1/jobs/{name}").json_body
    path = job["report"]["id"].removeprefix("http://localhost")
    response = client.http.get(path)
    assert response.status_code == 200, response.body
    assert response.json_body == {"items": [
        {"node": "a.example.com", "state": "finished", "timestamp": "2016-05-05T19:51:00Z",
         "events": ["1", "3"]},
        {"node": "b.example.com", "state": "failed", "timestamp": "2016-05-05T19:51:30Z",
         "events": ["2", "4"]},
        {"node": "c.example.com", "state": "new", "timestamp": job["created_timestamp"],
         "events": []}]}


def test_get_with_an_unusual_content_type_is_not_refused(client):
    response = client.http.get("/orchestrator/v1/jobs", headers={"Content-Type": "text/plain"})
    assert response.status_code == 200
