"""The fixed bounds docs/security.md lists without a setting ("Every bound"), each
proven on both adapters: orchestrator events per request, nodes per job, the /jobs
limit, the events page, and v4's report fail limit."""
from __future__ import annotations

from chalicelib.orchestrator import model, parsing
from chalicelib.puppetdb import queries
from tests.factories import job_payload
from tests.http.test_orchestrator_api import add_events, assert_error, create, post, running


def test_more_events_than_one_request_may_carry_are_a_400_and_store_nothing(client):
    name = create(client)
    response = add_events(client, name, *[running()] * (model.MAX_EVENTS_PER_REQUEST + 1))
    assert_error(response, 400, "puppetlabs.orchestrator/validation-error")
    assert client.http.get(f"/orchestrator/v1/jobs/{name}/events").json_body["items"] == []


def test_a_job_with_more_nodes_than_allowed_is_a_400_and_is_not_created(client):
    nodes = [f"n{i}.example.com" for i in range(model.MAX_NODES_PER_JOB + 1)]
    response = post(client, "/orchestrator/v1/jobs", job_payload(nodes=nodes))
    assert_error(response, 400, "puppetlabs.orchestrator/validation-error")
    assert client.http.get("/orchestrator/v1/jobs").json_body["pagination"]["total"] == 0


def test_a_jobs_limit_over_the_page_maximum_is_a_400(client):
    response = client.http.get(f"/orchestrator/v1/jobs?limit={parsing.MAX_JOBS_LIMIT + 1}")
    assert_error(response, 400, "puppetlabs.orchestrator/validation-error")
    assert client.http.get(f"/orchestrator/v1/jobs?limit={parsing.MAX_JOBS_LIMIT}").status_code == 200


def test_an_events_page_holds_at_most_the_page_size_and_next_events_continues(client, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_EVENTS_PER_PAGE", 2)
    name = create(client, nodes=["a.example.com", "b.example.com", "c.example.com"])
    add_events(client, name, running("a.example.com"), running("b.example.com"),
               running("c.example.com"))
    first = client.http.get(f"/orchestrator/v1/jobs/{name}/events").json_body
    assert [e["id"] for e in first["items"]] == ["1", "2"]
    assert first["next-events"]["event"] == "3"
    rest = client.http.get(f"/orchestrator/v1/jobs/{name}/events?start=3").json_body
    assert [e["id"] for e in rest["items"]] == ["3"]


def test_v4_reports_past_the_report_fail_limit_without_a_limit_are_a_500(client, monkeypatch):
    from chalicelib.puppetdb.ingest import reports
    from tests.http.test_puppetdb_v4_api import FIXTURES, _body
    monkeypatch.setattr(queries, "REPORT_QUERY_LIMIT", 1)
    for fixture in FIXTURES[:2]:
        assert client.store.store_report(reports.from_v8(_body(fixture)))
    response = client.http.get("/pdb/query/v4/reports")
    assert response.status_code == 500
    assert "more than the maximum number of results (max: 1)" in response.body.decode()
    assert len(client.http.get("/pdb/query/v4/reports?limit=2").json_body) == 2
