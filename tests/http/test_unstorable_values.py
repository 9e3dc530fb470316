"""Values a store could not hold, or could not answer back as JSON, are refused with
the API's 400 and change nothing (found by fuzzing, issue 6 item 4): NaN/Infinity,
integers beyond 64 bits, empty strings where DynamoDB keys need a value."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.factories import job_payload

REPORT = json.loads((Path(__file__).resolve().parents[1] / "fixtures/puppetdb/store_report_v8_1.json")
                    .read_text())["body"]


def _report(change) -> str:
    body = copy.deepcopy(REPORT)
    change(body)
    return json.dumps(body)       # allow_nan: NaN goes out as the bare token NaN


def _first_event(body) -> dict:
    return body["resources"][0]["events"][0]


BAD_REPORTS = {
    "line beyond 64 bits": lambda b: b["resources"][0].update(line=10 ** 20),
    "NaN new_value": lambda b: _first_event(b).update(new_value=float("nan")),
    "Infinity old_value": lambda b: _first_event(b).update(old_value=float("inf")),
    "empty certname": lambda b: b.update(certname=""),
    "empty resource_type": lambda b: b["resources"][0].update(resource_type=""),
    "empty status": lambda b: _first_event(b).update(status=""),
}


@pytest.mark.parametrize("change", BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_a_report_the_store_cannot_hold_is_400_and_stores_nothing(client, change):
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname=a",
                                body=_report(change), headers={"Content-Type": "application/json"})
    assert response.status_code == 400       # a command's 400 is PuppetDB 7's JSON {error}
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body)["error"]
    events = client.http.get('/experimental/events?query=["~","certname",""]')
    assert events.status_code == 200 and json.loads(events.body) == []


def test_a_job_with_nan_in_its_options_is_a_validation_error(client):
    body = json.dumps(job_payload(nodes=["a.example.com"], options={"retries": float("nan")}))
    response = client.http.post("/orchestrator/v1/jobs", body=body,
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json_body["kind"] == "puppetlabs.orchestrator/validation-error"
    assert client.http.get("/orchestrator/v1/jobs").json_body["items"] == []


def test_a_commit_with_infinity_in_an_event_is_malformed(client):
    body = json.dumps({"commit": {"service": {"id": "rbac"}, "subject": {"id": "a"},
                                  "objects": [{"id": "b", "type": "users"}],
                                  "events": [{"message": "x", "weight": float("-inf")}]}})
    response = client.http.post("/activity-api/v2/events", body=body,
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json_body["kind"] == "puppetlabs.activity/malformed-request"
    assert client.http.get("/activity-api/v2/events").json_body["commits"] == []


@pytest.mark.parametrize("path", [
    '/experimental/events?query=["=","certname",""]',
    '/pdb/query/v4/events?query=["=","certname",""]',
    '/pdb/query/v4/events?query=["in","certname",["array",["","a"]]]',
    '/pdb/query/v4/reports?query=["=","certname",""]',
])
def test_an_empty_key_value_in_a_query_matches_nothing(client, path):
    """Found by the fuzz strategies with any text (issue 20 item 1): DynamoDB refuses
    an empty key value, and the keyed read made it a 500."""
    response = client.http.get(path)
    assert response.status_code == 200, response.body
    assert json.loads(response.body) == []
