"""Storing reports and reading events: idempotency, order, paging (both adapters)."""
from __future__ import annotations

import json
from pathlib import Path

from chalicelib.puppetdb import demo
from chalicelib.puppetdb.dialects import v1_4
from chalicelib.puppetdb.ingest import reports
from chalicelib.puppetdb.catalogue import full_order

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "puppetdb").glob("store_report_v8_*.json"))


def test_storing_the_same_report_twice_stores_it_once(store):
    b1, _ = demo.example_reports()
    assert store.store_report(b1) is True
    assert store.store_report(b1) is False
    assert store.find_events(v1_4.parse(["=", "certname", "foo.local"]), full_order(()),
                             0, None).total == 3


def test_default_order_is_timestamp_descending(store):
    b1, _ = demo.example_reports()
    store.store_report(b1)
    page = store.find_events(v1_4.parse(["=", "certname", "foo.local"]), full_order(()), 0, None)
    assert [e["seq"] for e in page.items] == [1, 2, 0]


def test_pages_cover_every_event_once_and_total_counts_before_paging(store):
    b1, _ = demo.example_reports()
    store.store_report(b1)
    where = v1_4.parse(["=", "report", b1.hash])
    pages = [store.find_events(where, full_order(()), offset, 1) for offset in (0, 1, 2)]
    assert all(len(p.items) == 1 and p.total == 3 for p in pages)
    assert sorted(p.items[0]["seq"] for p in pages) == [0, 1, 2]


def test_without_total_the_page_is_the_same_and_nothing_is_counted(store):
    # include-total absent: the adapter need not count every match (docs/performance.md).
    b1, _ = demo.example_reports()
    store.store_report(b1)
    where = v1_4.parse(["=", "report", b1.hash])
    for offset, limit in ((0, 1), (1, 2), (0, None)):
        counted = store.find_events(where, full_order(()), offset, limit)
        uncounted = store.find_events(where, full_order(()), offset, limit, with_total=False)
        assert uncounted.items == counted.items and counted.total == 3
        assert uncounted.total is None
    reports_where = v1_4.parse(["=", "certname", "foo.local"])
    assert store.find_reports(reports_where, (("hash", "asc"),), 0, 1,
                              with_total=False).total is None
    counted = store.find_reports(reports_where, (("hash", "asc"),), 0, 1)
    assert counted.total == 1 and [r["hash"] for r in counted.items] == [b1.hash]


def test_order_by_a_nullable_field_puts_nulls_last_ascending(store):
    b1, _ = demo.example_reports()
    store.store_report(b1)
    where = v1_4.parse(["=", "report", b1.hash])
    ascending = store.find_events(where, full_order([("line", "asc")]), 0, None).items
    descending = store.find_events(where, full_order([("line", "desc")]), 0, None).items
    assert [e["line"] for e in ascending] == [1, 2, None]
    assert [e["line"] for e in descending] == [None, 2, 1]


def test_events_carry_report_fields_and_utc_timestamps(store):
    b1, _ = demo.example_reports()
    store.store_report(b1)
    page = store.find_events(v1_4.parse(["=", "resource-title", "hi"]), full_order(()), 0, None)
    (event,) = page.items
    assert event["report"] == b1.hash
    assert event["configuration_version"] == "a81jasj123"
    assert event["timestamp"].startswith("2011-01-01T15:00:02.000")
    assert event["containing_class"] == "Foo"
    assert event["property"] is None and event["new_value"] is None


def _fixture_reports():
    return [reports.from_v8(json.loads(path.read_text())["body"]) for path in FIXTURES]


def test_every_fixture_report_is_stored_with_all_its_events(store):
    stored = _fixture_reports()
    assert len(stored) == 6
    for report in stored:
        assert store.store_report(report) is True
    for report in stored:
        page = store.find_events(v1_4.parse(["=", "report", report.hash]), full_order(()), 0, None)
        assert page.total == len(report.events) > 0


def test_latest_report_of_fixture_nodes_has_the_greatest_producer_timestamp(store):
    stored = _fixture_reports()
    for report in reversed(stored):
        store.store_report(report)
    latest = {}
    for report in stored:
        if report.certname not in latest or report.latest_key > latest[report.certname].latest_key:
            latest[report.certname] = report
    page = store.find_events(v1_4.parse(["=", "latest-report", True]), full_order(()), 0, None)
    assert {e["report"] for e in page.items} == {r.hash for r in latest.values()}


def test_fixture_events_answer_a_status_and_time_query(store):
    for report in _fixture_reports():
        store.store_report(report)
    everything = store.find_events(v1_4.parse(["~", "certname", "."]), full_order(()), 0, None)
    failures = [e for e in everything.items if e["status"] == "failure"]
    cutoff = max(e["timestamp"] for e in everything.items)
    where = v1_4.parse(["and", ["=", "status", "failure"], ["<", "timestamp", cutoff]])
    page = store.find_events(where, full_order(()), 0, None)
    assert failures and page.total == len([e for e in failures if e["timestamp"] < cutoff])


def test_latest_report_before_any_report_matches_nothing(store):
    page = store.find_events(v1_4.parse(["=", "latest-report", True]), full_order(()), 0, None)
    assert page.items == [] and page.total == 0
