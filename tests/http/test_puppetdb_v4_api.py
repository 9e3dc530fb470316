"""PuppetDB v4 over HTTP (both adapters), for the real Puppet 7 fixture reports:
the answers PuppetDB 7 gives (notes 3 and 5; PDB documentation/api/query/v4/
events, reports, event-counts, aggregate-event-counts, paging).

Every test here only reads, so the six reports are stored once per adapter for
the module (moto makes DynamoDB reads slow enough that this matters)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from moto import mock_aws

from chalicelib.puppetdb import PUPPETDB_VERSION
from chalicelib.puppetdb.ingest import reports
from tests.conftest import ADAPTERS, make_store

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "puppetdb").glob("store_report_v8_*.json"))
PDB_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EVENT_KEYS = {"certname", "configuration_version", "containing_class", "containment_path",
              "corrective_change", "environment", "file", "line", "message", "name",
              "new_value", "old_value", "property", "report", "report_receive_time",
              "resource_title", "resource_type", "run_end_time", "run_start_time", "status",
              "timestamp"}
REPORT_KEYS = {"hash", "certname", "puppet_version", "report_format", "configuration_version",
               "start_time", "end_time", "producer_timestamp", "receive_time",
               "transaction_uuid", "catalog_uuid", "code_id", "job_id", "cached_catalog_status",
               "producer", "environment", "status", "noop", "noop_pending",
               "corrective_change", "type", "metrics", "logs", "resource_events"}
FAILED_EXEC = {  # the failed Exec of store_report_v8_1.json, as PuppetDB 7 shows it
    "certname": "node-a.anchor.test", "configuration_version": "1795324011",
    "containing_class": "Anchor", "containment_path": ["Stage[main]", "Anchor", "Exec[always-fails]"],
    "corrective_change": False, "environment": "production",
    "file": "/srv/puppet-fixture/manifests/site.pp", "line": 46,
    "message": "change from 'notrun' to ['0'] failed: '/bin/false' returned 1 instead of one of [0]",
    "name": "executed_command", "new_value": "[\"0\"]", "old_value": "notrun",
    "property": "returns", "resource_title": "always-fails", "resource_type": "Exec",
    "run_start_time": "2026-11-22T05:06:51.428Z", "run_end_time": "2026-11-22T05:06:51.469Z",
    "status": "failure", "timestamp": "2026-11-22T05:06:51.457Z",
}


def _body(fixture: Path) -> dict:
    return json.loads(fixture.read_text())["body"]


def _stored(kind: str, tmp_path):
    store = make_store(kind, tmp_path)
    for fixture in FIXTURES:       # HTTP ingestion is tested in test_puppetdb_api.py
        assert store.store_report(reports.from_v8(_body(fixture)))
    return store


@pytest.fixture(scope="module", params=ADAPTERS)
def loaded_store(request, tmp_path_factory):
    if request.param == "dynamodb":
        with mock_aws():
            yield _stored("dynamodb", tmp_path_factory.mktemp("dynamodb"))
    else:
        sqlite_store = _stored("sqlite", tmp_path_factory.mktemp("sqlite"))
        yield sqlite_store
        sqlite_store.close()


@pytest.fixture
def store(loaded_store):
    """The `client` fixture serves this module's store."""
    return loaded_store


@pytest.fixture
def loaded(client):
    return client


def _get(client, path, **params):
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return client.http.get(path + ("?" + urlencode(encoded) if encoded else ""))


def _json(response):
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.body)


def _events(client, **params):
    return _json(_get(client, "/pdb/query/v4/events", **params))


# ------------------------------------------------------------------ events


def test_an_event_has_every_v4_key_with_utc_millisecond_times(loaded):
    (event,) = _events(loaded, query=["and", ["=", "status", "failure"],
                                      ["=", "configuration_version", "1795324011"]])
    assert set(event) == EVENT_KEYS
    assert {k: v for k, v in event.items() if k not in ("report", "report_receive_time")} == FAILED_EXEC
    assert PDB_TIME.match(event["report_receive_time"]) and len(event["report"]) == 40


def test_without_a_query_every_event_comes_back(loaded):
    events = _events(loaded)
    assert len(events) == 62
    assert all(PDB_TIME.match(e[k]) for e in events for k in
               ("timestamp", "run_start_time", "run_end_time", "report_receive_time"))


def test_a_post_body_carries_the_same_parameters(loaded):
    response = loaded.http.post("/pdb/query/v4/events", headers={"Content-Type": "application/json"},
                                body=json.dumps({"query": ["=", "resource_type", "Exec"],
                                                 "order_by": [{"field": "timestamp"}],
                                                 "limit": 2, "include_total": True}))
    events = _json(response)
    assert len(events) == 2 and response.headers["X-Records"] == "14"
    assert events[0]["timestamp"] <= events[1]["timestamp"]


def test_equality_on_the_containment_path_matches_any_element(loaded):
    events = _events(loaded, query=["=", "containment_path", "Exec[always-fails]"])
    assert len(events) == 6 and {e["resource_title"] for e in events} == {"always-fails"}


def test_null_and_in_and_line_ranges(loaded):
    assert len(_events(loaded, query=["null?", "property", True])) == 4
    assert len(_events(loaded, query=["in", "status", ["array", ["failure", "skipped"]]])) == 8
    assert {e["line"] for e in _events(loaded, query=["and", [">", "line", 40], ["<=", "line", 46]])} == {42, 46}


def test_latest_report_selects_each_nodes_newest_run(loaded):
    events = _events(loaded, query=["=", "latest_report?", True])
    assert {e["configuration_version"] for e in events} == {"1795324017", "1795324027"}
    assert {e["status"] for e in events} == {"noop"}


def test_a_reports_events_are_the_events_of_its_hash(loaded):
    (report,) = _json(_get(loaded, "/pdb/query/v4/reports", query=["=", "configuration_version", "1795324011"]))
    by_path = _json(loaded.http.get(report["resource_events"]["href"]))
    by_query = _events(loaded, query=["=", "report", report["hash"]])
    assert len(by_path) == 13
    assert sorted(map(json.dumps, by_path)) == sorted(map(json.dumps, by_query))


# ------------------------------------------------------------------ reports


def test_a_report_has_the_keys_pypuppetdb_reads(loaded):
    (report,) = _json(_get(loaded, "/pdb/query/v4/reports", query=["=", "configuration_version", "1795324011"]))
    body = _body(FIXTURES[0])
    assert set(report) == REPORT_KEYS
    assert {k: report[k] for k in ("certname", "puppet_version", "report_format", "status",
                                   "noop", "noop_pending", "environment", "transaction_uuid",
                                   "catalog_uuid", "cached_catalog_status", "producer", "type")} == {
        "certname": "node-a.anchor.test", "puppet_version": "7.23.0", "report_format": 12,
        "status": "failed", "noop": False, "noop_pending": True, "environment": "production",
        "transaction_uuid": body["transaction_uuid"], "catalog_uuid": body["catalog_uuid"],
        "cached_catalog_status": "not_used", "producer": "node-a.anchor.test", "type": "agent"}
    assert (report["start_time"], report["end_time"], report["producer_timestamp"]) == (
        "2026-11-22T05:06:51.428Z", "2026-11-22T05:06:51.469Z", "2026-11-22T05:06:51.493Z")
    assert PDB_TIME.match(report["receive_time"])


def test_metrics_and_logs_are_expanded_and_events_referenced(loaded):
    (report,) = _json(_get(loaded, "/pdb/query/v4/reports", query=["=", "configuration_version", "1795324011"]))
    body = _body(FIXTURES[0])
    base = f"/pdb/query/v4/reports/{report['hash']}"
    assert report["metrics"] == {"href": base + "/metrics", "data": body["metrics"]}
    assert report["logs"]["href"] == base + "/logs"
    assert [log["message"] for log in report["logs"]["data"]] == [log["message"] for log in body["logs"]]
    # as Puppet sent them, as PuppetDB 7 answers them (tests/conformance)
    assert [log["time"] for log in report["logs"]["data"]] == [log["time"] for log in body["logs"]]
    assert report["resource_events"] == {"href": base + "/events"}
    assert _json(loaded.http.get(base + "/metrics")) == body["metrics"]
    assert _json(loaded.http.get(base + "/logs")) == report["logs"]["data"]


def test_reports_are_paged_newest_first_with_a_total(loaded):
    response = _get(loaded, "/pdb/query/v4/reports", limit="4", offset="1", include_total="true",
                    query=["~", "certname", "anchor"])
    reports = _json(response)
    assert response.headers["X-Records"] == "6"
    assert [r["configuration_version"] for r in reports] == [
        "1795324024", "1795324020", "1795324017", "1795324014"]


def test_reports_ordered_and_filtered_as_puppetboard_asks(loaded):
    reports = _json(_get(loaded, "/pdb/query/v4/reports",
                         query=["and", ["=", "certname", "node-a.anchor.test"],
                                [">=", "end_time", "2026-11-22T05:06:54Z"]],
                         order_by=[{"field": "end_time", "order": "asc"}]))
    assert [r["configuration_version"] for r in reports] == ["1795324014", "1795324017"]


@pytest.mark.parametrize("child", ["metrics", "logs", "events"])
def test_an_unknown_reports_sub_resources_are_404_json(loaded, child):
    """As PuppetDB 7 answers them (tests/conformance); events were 200 []."""
    response = loaded.http.get("/pdb/query/v4/reports/foo/" + child)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.body) == {"error": "No information is known about report foo"}


# ------------------------------------------------------------------ meta


def test_version_names_the_puppetdb_release_served(client):
    assert _json(client.http.get("/pdb/meta/v1/version")) == {"version": PUPPETDB_VERSION}

