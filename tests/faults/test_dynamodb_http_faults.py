"""DynamoDB faults seen over HTTP (the `client` fixture on the DynamoDB store):
what outlasts the retries is a 503 in the API's own format with Retry-After,
and the request that got it left nothing of itself visible."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests import payloads
from tests.faults.injection import Faults

pytestmark = pytest.mark.parametrize("store", ["dynamodb"], indirect=True)

PDB_ALL = "/experimental/events?" + urlencode({"query": json.dumps(["~", "certname", "."]),
                                                "include-total": "true"})


@pytest.fixture
def faults(store):
    return Faults(store.client)


def _post(client, path, body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.http.post(path, body=data, headers=payloads.JSON)


def _assert_503(response, kind):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    if kind is None:         # PuppetDB: plain text
        assert response.headers["Content-Type"].startswith("text/plain")
        assert b"retry" in response.body
    else:
        body = json.loads(response.body)
        assert body["kind"] == kind and body["msg"] and "details" in body


def _jobs_total(client):
    return json.loads(client.http.get("/orchestrator/v1/jobs").body)["pagination"]["total"]


def _commits_total(client):
    return json.loads(client.http.get("/activity-api/v2/events").body)["pagination"]["total"]


def _pdb_total(client):
    return int(client.http.get(PDB_ALL).headers["X-Records"])


# (write, the fault that outlasts every retry, the error kind, what is stored afterwards)
WRITES = {
    "orchestrator": (lambda c: _post(c, "/orchestrator/v1/jobs", payloads.job_payload()),
                     lambda f: f.error("TransactWriteItems", "ProvisionedThroughputExceededException"),
                     "puppetlabs.orchestrator/service-unavailable", _jobs_total),
    "activity": (lambda c: _post(c, "/activity-api/v2/events", payloads.commit("alice")),
                 lambda f: f.cancel("None", "ThrottlingError"),
                 "puppetlabs.activity/service-unavailable", _commits_total),
    # The events are written, the commit item is not: the report must stay invisible.
    "puppetdb": (lambda c: _post(c, payloads.report_path("n1"), payloads.report_bytes("n1", 1)),
                 lambda f: f.error("PutItem", "InternalServerError"),
                 None, _pdb_total),
}


@pytest.mark.parametrize("api", WRITES)
def test_a_write_that_outlasts_the_retries_is_503_and_leaves_nothing_visible(client, faults, api):
    write, fault, kind, total = WRITES[api]
    fault(faults)
    _assert_503(write(client), kind)
    faults.clear()
    assert total(client) == 0
    assert write(client).status_code in (200, 201)       # the client's retry succeeds
    assert total(client) == (3 if api == "puppetdb" else 1)


READS = {"orchestrator": ("/orchestrator/v1/jobs", "puppetlabs.orchestrator/service-unavailable"),
         "activity": ("/activity-api/v1/events?service_id=x", "puppetlabs.activity/service-unavailable"),
         "puppetdb": (PDB_ALL, None)}


@pytest.mark.parametrize("api", READS)
def test_a_read_dynamodb_keeps_throttling_is_503(client, faults, api):
    path, kind = READS[api]
    faults.error("*", "ThrottlingException")
    _assert_503(client.http.get(path), kind)


def test_job_events_that_keep_losing_races_are_503_and_not_stored(client, faults):
    created = json.loads(_post(client, "/orchestrator/v1/jobs", payloads.job_payload()).body)
    events_path = f"/orchestrator/v1/jobs/{created['job']['name']}/events"
    faults.cancel("ConditionalCheckFailed")
    _assert_503(_post(client, events_path, payloads.job_events("lost")),
                "puppetlabs.orchestrator/service-unavailable")
    faults.clear()
    assert json.loads(client.http.get(events_path).body)["items"] == []
