"""What the v4 endpoints need from the store (both adapters): report-level fields,
metrics and logs, v4 event fields, and v4 query semantics (notes 3).

They only read, so they share one store per adapter holding the six fixture reports
(writes that need a fresh store: test_puppetdb_v4_store_writes.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from moto import mock_aws

from chalicelib.puppetdb.dialects import v4
from chalicelib.puppetdb.ingest import reports
from chalicelib.puppetdb.catalogue import EVENTS, REPORTS
from chalicelib.query.ast import EVERYTHING
from tests.conftest import ADAPTERS, make_store

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "puppetdb").glob("store_report_v8_*.json"))
RECEIVED = "2026-11-22T06:00:00.000000Z"


def _bodies():
    return [json.loads(path.read_text())["body"] for path in FIXTURES]


def _store_all(store):
    stored = [reports.from_v8(body, RECEIVED) for body in _bodies()]
    for report in stored:
        store.store_report(report)
    return stored


@pytest.fixture(scope="module", params=ADAPTERS)
def stored(request, tmp_path_factory):
    """(store, the stored reports), read-only."""
    if request.param == "dynamodb":
        with mock_aws():
            store = make_store("dynamodb", tmp_path_factory.mktemp("dynamodb"))
            yield store, _store_all(store)
    else:
        store = make_store("sqlite", tmp_path_factory.mktemp("sqlite"))
        yield store, _store_all(store)
        store.close()


def _events(store, query):
    return store.find_events(v4.parse(query, EVENTS), EVENTS.tiebreak, 0, None).items


def _reports(store, query=None, order=(("producer_timestamp", "desc"), ("hash", "asc")),
             offset=0, limit=None):
    where = EVERYTHING if query is None else v4.parse(query, REPORTS)
    return store.find_reports(where, order, offset, limit)


def test_a_report_keeps_its_report_level_fields(stored):
    store, (first, *_) = stored
    body = _bodies()[0]
    (found,) = _reports(store, ["=", "hash", first.hash]).items
    assert found["certname"] == "node-a.anchor.test"
    assert (found["puppet_version"], found["report_format"]) == ("7.23.0", 12)
    assert (found["status"], found["noop"], found["noop_pending"]) == ("failed", False, True)
    assert found["transaction_uuid"] == body["transaction_uuid"]
    assert found["start_time"] == "2026-11-22T05:06:51.428000Z"
    assert found["producer_timestamp"] == "2026-11-22T05:06:51.493000Z"
    assert found["receive_time"] == RECEIVED
    assert (found["environment"], found["cached_catalog_status"], found["type"]) == \
        ("production", "not_used", "agent")


def test_metrics_and_logs_come_back_whole(stored):
    store, (first, *_) = stored
    body = _bodies()[0]
    (found,) = _reports(store, ["=", "hash", first.hash]).items
    assert json.loads(found["metrics"]) == body["metrics"]
    logs = json.loads(found["logs"])
    assert [log["message"] for log in logs] == [log["message"] for log in body["logs"]]
    assert logs[0]["time"] == body["logs"][0]["time"]       # as Puppet sent it


def test_reports_are_listed_in_order_and_paged_with_a_total(stored):
    store, reports_stored = stored
    newest_first = [r.hash for r in sorted(reports_stored, key=lambda r: r.latest_key, reverse=True)]
    pages = [_reports(store, offset=offset, limit=2) for offset in (0, 2, 4)]
    assert [h["hash"] for page in pages for h in page.items] == newest_first
    assert {page.total for page in pages} == {6}


def test_reports_of_one_node_within_a_time_range(stored):
    store, _ = stored
    found = _reports(store, ["and", ["=", "certname", "node-b.anchor.test"],
                             [">=", "producer_timestamp", "2026-11-22T05:07:04Z"]]).items
    assert [r["producer_timestamp"] for r in found] == [
        "2026-11-22T05:07:08.000000Z", "2026-11-22T05:07:04.541000Z"]


def test_latest_report_is_one_report_per_node(stored):
    store, reports_stored = stored
    found = _reports(store, ["=", "latest_report?", True]).items
    assert {r["hash"] for r in found} == {reports_stored[2].hash, reports_stored[5].hash}
    others = _reports(store, ["=", "latest_report?", False]).items
    assert len(others) == 4


def test_events_carry_the_v4_fields(stored):
    store, (first, *_) = stored
    (failure,) = _events(store, ["and", ["=", "report", first.hash], ["=", "status", "failure"]])
    assert (failure["name"], failure["corrective_change"]) == ("executed_command", False)
    assert failure["environment"] == "production"
    assert failure["run_start_time"] == "2026-11-22T05:06:51.428000Z"
    assert failure["run_end_time"] == "2026-11-22T05:06:51.469000Z"
    assert failure["report_receive_time"] == RECEIVED


def test_equality_on_the_containment_path_matches_any_element(stored):
    store, _ = stored
    found = _events(store, ["=", "containment_path", "Exec[always-fails]"])
    assert {e["resource_title"] for e in found} == {"always-fails"}
    assert len(found) == 6
    assert _events(store, ["=", "containment_path", "Exec"]) == []


def test_regex_on_the_containment_path_searches_each_element(stored):
    store, _ = stored
    found = _events(store, ["~", "containment_path", "^Exec\\[always-f"])
    assert {e["resource_title"] for e in found} == {"always-fails"}


@pytest.mark.parametrize("query,count", [
    (["in", "status", ["array", ["failure", "skipped"]]], 8),
    (["null?", "property", True], 4),
    (["null?", "property", False], 58),
    (["and", [">", "line", 40], ["<=", "line", 46]], 8),
    (["=", "name", "executed_command"], 14),
    (["and", ["=", "corrective_change", False], ["=", "status", "skipped"]], 4),
    ([">=", "run_start_time", "2026-11-22T05:07:00Z"], 31),
])
def test_v4_operators_agree_on_both_adapters(stored, query, count):
    store, _ = stored
    assert len(_events(store, query)) == count


def test_an_empty_in_matches_nothing_and_its_negation_everything(stored):
    store, _ = stored
    assert _events(store, ["in", "status", ["array", []]]) == []
    assert len(_events(store, ["not", ["in", "status", ["array", []]]])) == 62
