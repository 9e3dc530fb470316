"""Identity and ordering of stored reports (issue 20, item 6), and where links come
from (item 7), over HTTP on both adapters."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from chalicelib import timestamps
from chalicelib.puppetdb.ingest import reports
from tests.http.test_write_bounds import V2_FORM, _v2_form
from tests.payloads import JSON, PDB_BASIC, job_payload, report, report_path


def _reports(client, **params) -> list[dict]:
    response = client.http.get("/pdb/query/v4/reports?" + urlencode(params))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def _send(client, body: dict):
    return client.http.post(report_path(body["certname"]), headers=JSON, body=json.dumps(body))


def test_a_report_is_stored_under_the_hash_puppetdb_gives_it(client):
    assert _send(client, PDB_BASIC).status_code == 200
    # PDB 7.12 test/puppetlabs/puppetdb/http/reports_test.clj expects this hash
    assert [r["hash"] for r in _reports(client)] == ["5bc5d561c7912570a7c7f525b815477cdaed70a2"]


def test_a_report_stored_under_its_old_id_is_still_a_duplicate(client, store):
    body = report("a.example.com", 1)
    new = reports.from_v8(body)
    old = new.aliases[0]        # as main stored it: every record under the old id
    store.store_report(dataclasses.replace(
        new, hash=old, aliases=(), summary={**new.summary, "hash": old},
        events=tuple({**e, "report": old} for e in new.events)))
    assert _send(client, body).status_code == 200
    assert [r["hash"] for r in _reports(client)] == [old]
    events = client.http.get("/pdb/query/v4/events")
    assert {e["report"] for e in json.loads(events.body)} == {old}


# ------------------------------------------------------------ producer timestamps

def _at(offset: int) -> str:
    return timestamps.stored(timestamps.now() + timedelta(seconds=offset))


def test_a_producer_timestamp_too_far_past_the_receive_time_is_refused(client):
    body = {**report("a.example.com", 1), "producer_timestamp": "9999-12-31T23:59:59.000Z"}
    response = _send(client, body)
    assert response.status_code == 400      # a command's 400: PuppetDB 7's JSON {"error"}
    assert response.headers["Content-Type"].startswith("application/json")
    assert "'producer_timestamp' 9999-12-31T23:59:59.000000Z is more than 3600 seconds" \
        in response.json_body["error"]
    assert _reports(client) == []
    soon = {**report("a.example.com", 2), "producer_timestamp": _at(3000)}
    assert _send(client, soon).status_code == 200


def test_a_v2_end_time_too_far_past_the_receive_time_is_refused(client):
    # v2's latest key is its end time (model.Report)
    form = _v2_form(1, end="9999-12-31T00:00:00Z")
    response = client.http.post("/v2/commands", body=form, headers=V2_FORM)
    assert response.status_code == 400
    assert b"'end-time' 9999-12-31T00:00:00.000000Z is more than 3600 seconds" in response.body
    assert _reports(client) == []


# ------------------------------------------------------------ one tiebreak

def test_on_equal_producer_timestamps_latest_is_the_report_listed_first(client):
    # Whatever the arrival order: a.example.com gets the larger hash first, b the smaller.
    for certname, larger_first in (("a.example.com", True), ("b.example.com", False)):
        first = report(certname, 1)
        other = {**first, "configuration_version": "other"}    # same time, other hash
        for body in sorted((first, other), key=lambda r: reports.from_v8(r).hash,
                           reverse=larger_first):
            assert _send(client, body).status_code == 200
        where = ["=", "certname", certname]
        listed = _reports(client, query=json.dumps(where))
        latest = _reports(client, query=json.dumps(["and", where, ["=", "latest_report?", True]]))
        assert len(listed) == 2 and listed[0]["hash"] < listed[1]["hash"]
        assert [r["hash"] for r in latest] == [listed[0]["hash"]], certname


# ------------------------------------------------------------ links (item 7)

def _created_job_id(client, **headers) -> str:
    response = client.http.post("/orchestrator/v1/jobs", body=json.dumps(job_payload()),
                                headers={**JSON, **headers})
    assert response.status_code == 201
    return response.json_body["job"]["id"]


def test_a_forwarded_scheme_other_than_http_or_https_is_not_echoed(client):
    link = _created_job_id(client, **{"Host": "events.example.com",
                                      "X-Forwarded-Proto": "javascript:alert(1)//"})
    assert link == "http://events.example.com/orchestrator/v1/jobs/1"
    assert _created_job_id(client, **{"Host": "events.example.com",
                                      "X-Forwarded-Proto": "HTTPS"}).startswith("https://")


@pytest.fixture
def deployed(store):
    """The app on the `prod` stage (not `local`), over this parametrisation's store."""
    from tests.conftest import serving
    with serving(store, "prod") as test_client:
        yield test_client


def test_outside_the_local_stage_links_come_only_from_events_public_url(deployed, monkeypatch):
    headers = {"Host": "evil.example.com", "X-Forwarded-Proto": "https"}
    monkeypatch.delenv("EVENTS_PUBLIC_URL", raising=False)
    assert _created_job_id(deployed, **headers) == "/orchestrator/v1/jobs/1"
    monkeypatch.setenv("EVENTS_PUBLIC_URL", "https://events.example.com/")
    assert _created_job_id(deployed, **headers) == \
        "https://events.example.com/orchestrator/v1/jobs/2"
