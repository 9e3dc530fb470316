"""The text rule (issue 20 item 1): a string that is not encodable as UTF-8 (a lone
surrogate, valid JSON as "\\ud800") anywhere in a request is a 400 in the API's own
format, and nothing is stored; a value stored before the rule cannot break a CSV
download. On both adapters (the `client` fixture)."""
from __future__ import annotations

import copy
import csv
import gzip
import io
import json
from urllib.parse import urlencode

import pytest

from chalicelib.activity.model import Entity, NewCommit
from chalicelib.puppetdb import demo
from tests.factories import job_payload
from tests.payloads import JSON, report, report_path

LONE = "\ud800"
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def _ascii_json(value) -> str:
    """JSON as a client sends it: the surrogate as the escape \\ud800."""
    return json.dumps(value)          # ensure_ascii: "\ud800" goes out as an escape


def _get(client, path, **params):
    return client.http.get(path + "?" + urlencode({k: v if isinstance(v, str) else _ascii_json(v)
                                                   for k, v in params.items()}))


def _is_puppetdb_400(response):
    assert response.status_code == 400, response.body
    assert response.headers["Content-Type"].startswith("text/plain")
    assert b"not valid Unicode text" in response.body


def _is_command_400(response):
    """A `store report` command's 400 is PuppetDB 7's JSON {"error": msg}."""
    assert response.status_code == 400, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    assert "not valid Unicode text" in response.json_body["error"]


def _is_json_400(response, kind):
    assert response.status_code == 400, response.body
    assert response.json_body["kind"] == kind
    assert "not valid Unicode text" in response.json_body["msg"]


# ---------------------------------------------------------------- PuppetDB queries

QUERIES = {
    "1.4 =": ("/experimental/events", {"query": ["=", "certname", LONE]}),
    "1.4 ~": ("/experimental/events", {"query": ["~", "message", LONE]}),
    "1.4 order-by": ("/experimental/events", {"query": ["=", "certname", "a"],
                                              "order-by": [{"field": LONE}]}),
    "v4 =": ("/pdb/query/v4/events", {"query": ["=", "certname", LONE]}),
    "v4 ~": ("/pdb/query/v4/events", {"query": ["~", "resource_title", LONE]}),
    "v4 in": ("/pdb/query/v4/events", {"query": ["in", "certname", ["array", ["a", LONE]]]}),
    "v4 reports": ("/pdb/query/v4/reports", {"query": ["=", "certname", LONE]}),
}


@pytest.mark.parametrize("path,params", QUERIES.values(), ids=QUERIES.keys())
def test_a_query_value_with_a_lone_surrogate_is_a_puppetdb_400(client, path, params):
    _is_puppetdb_400(_get(client, path, **params))


@pytest.mark.parametrize("query", [["=", "certname", LONE], ["~", "message", LONE],
                                   ["in", "certname", ["array", [LONE]]]],
                         ids=["=", "~", "in"])
def test_a_v4_post_query_with_a_lone_surrogate_is_a_puppetdb_400(client, query):
    response = client.http.post("/pdb/query/v4/events", headers=JSON,
                                body=_ascii_json({"query": query}))
    _is_puppetdb_400(response)


# ---------------------------------------------------------------- reports

def _nothing_stored(client):
    events = _get(client, "/experimental/events", query=["~", "certname", ""])
    assert events.status_code == 200 and json.loads(events.body) == []


REPORT_CHANGES = {
    "certname": lambda r: r.update(certname=LONE),
    "title": lambda r: r["resources"][0].update(resource_title=LONE),
    "message": lambda r: r["resources"][0]["events"][0].update(message=LONE),
    "new_value": lambda r: r["resources"][0]["events"][0].update(new_value=[LONE]),
    "a key": lambda r: r["resources"][0]["events"][0].update(new_value={LONE: "x"}),
    "logs": lambda r: r.update(logs=[{"level": "info", "message": LONE, "source": "x",
                                      "tags": [], "time": r["start_time"], "file": None,
                                      "line": None}]),
}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("change", REPORT_CHANGES.values(), ids=REPORT_CHANGES.keys())
def test_a_report_with_a_lone_surrogate_is_400_and_stores_nothing(client, change, compress):
    body = report("a.example.com", 1)
    change(body)
    raw = _ascii_json(body).encode("ascii")
    headers = dict(JSON)
    if compress:
        raw, headers["Content-Encoding"] = gzip.compress(raw), "gzip"
    _is_command_400(client.http.post(report_path("a.example.com"), headers=headers, body=raw))
    _nothing_stored(client)


def test_a_v2_command_form_with_a_lone_surrogate_is_400_and_stores_nothing(client):
    payload = copy.deepcopy(demo.B1)
    payload["resource-events"][0]["message"] = LONE
    command = _ascii_json({"command": "store report", "version": 2, "payload": payload})
    response = client.http.post("/v2/commands", body=urlencode({"payload": command}),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    _is_puppetdb_400(response)
    _nothing_stored(client)


# ---------------------------------------------------------------- activity

def _commit(**overrides):
    commit = {"service": {"id": "rbac"}, "subject": {"id": "u1", "name": "kai"},
              "objects": [{"id": "g1", "name": "group", "type": "node_groups"}],
              "ip_address": "10.0.0.1",
              "events": [{"type": "edit", "what": "w", "description": "d", "message": "m"}]}
    commit.update(overrides)
    return {"commit": commit}


COMMITS = {
    "subject id": _commit(subject={"id": LONE, "name": "kai"}),
    "subject name": _commit(subject={"id": "u1", "name": LONE}),
    "object id": _commit(objects=[{"id": LONE, "type": "node_groups"}]),
    "object name": _commit(objects=[{"id": "g1", "name": LONE, "type": "node_groups"}]),
    "ip_address": _commit(ip_address=LONE),
    "message": _commit(events=[{"message": LONE}]),
    "service id": _commit(service={"id": LONE}),
}


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("body", COMMITS.values(), ids=COMMITS.keys())
def test_a_commit_with_a_lone_surrogate_is_malformed_and_not_stored(client, body, version):
    if version == 1:
        body = {"commit": {**body["commit"], "object": body["commit"]["objects"][0]}}
        del body["commit"]["objects"]
    response = client.http.post(f"/activity-api/v{version}/events", headers=JSON,
                                body=_ascii_json(body))
    _is_json_400(response, "puppetlabs.activity/malformed-request")
    assert client.http.get("/activity-api/v2/events").json_body["commits"] == []


@pytest.mark.parametrize("path", ["/activity-api/v2/events", "/activity-api/v2/events.csv"])
def test_an_activity_query_with_a_lone_surrogate_is_an_invalid_parameter(client, path):
    response = _get(client, path, query=[{"subject_id": LONE}])
    _is_json_400(response, "puppetlabs.activity/invalid-parameter")
    assert response.json_body["details"]["parameter"] == "query"


def test_an_activity_v2_body_with_a_lone_surrogate_is_an_invalid_parameter(client):
    response = client.http.get("/activity-api/v2/events", headers=JSON,
                               body=_ascii_json({"service_id": LONE}))
    _is_json_400(response, "puppetlabs.activity/invalid-parameter")


@pytest.mark.parametrize("version", [1, 2])
def test_a_stored_lone_surrogate_no_longer_breaks_a_csv_download(client, version):
    """Older data: stored before the rule, straight through the port."""
    client.store.add_commit(NewCommit(service_id="rbac", subject=Entity("u1", "bad " + LONE),
                                      objects=(Entity("g1", LONE, "node_groups"),),
                                      timestamp="2026-11-30T23:29:49.808000Z",
                                      events=({"message": "m" + LONE},)))
    response = client.http.get(f"/activity-api/v{version}/events.csv?service_id=rbac")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8"), newline="")))
    assert rows[1][3] == "bad \ufffd" and rows[1][6] == "\ufffd" and rows[1][10] == "m\ufffd"


# ---------------------------------------------------------------- orchestrator

JOBS = {
    "environment": job_payload(environment=LONE),
    "description": job_payload(description=LONE),
    "nodes": job_payload(nodes=["a.example.com", LONE]),
    "owner": job_payload(owner={"id": "42", "login": LONE}),
    "options": job_payload(options={LONE: True}),
}


@pytest.mark.parametrize("body", JOBS.values(), ids=JOBS.keys())
def test_a_job_with_a_lone_surrogate_is_a_validation_error(client, body):
    response = client.http.post("/orchestrator/v1/jobs", headers=JSON, body=_ascii_json(body))
    _is_json_400(response, "puppetlabs.orchestrator/validation-error")
    assert client.http.get("/orchestrator/v1/jobs").json_body["items"] == []


@pytest.mark.parametrize("event", [
    {"type": "node_running", "message": LONE, "details": {"node": "a.example.com"}},
    {"type": "node_running", "message": "m", "details": {"node": "a.example.com",
                                                         "detail": {"x": LONE}}},
], ids=["message", "details"])
def test_job_events_with_a_lone_surrogate_are_a_validation_error(client, event):
    created = client.http.post("/orchestrator/v1/jobs", headers=JSON,
                               body=json.dumps(job_payload(nodes=["a.example.com"])))
    number = created.json_body["job"]["name"]
    response = client.http.post(f"/orchestrator/v1/jobs/{number}/events", headers=JSON,
                                body=_ascii_json({"events": [event]}))
    _is_json_400(response, "puppetlabs.orchestrator/validation-error")
    assert client.http.get(f"/orchestrator/v1/jobs/{number}/events").json_body["items"] == []
