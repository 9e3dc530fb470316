"""The dashboard queries at fleet size (issue 15): on DynamoDB (moto) no Scan and at
most 1.25 items read per item returned (an aggregate over nodes counts the nodes it
summarises, one over latest events the events), and the same answers on SQLite.
Counted, not timed; the mix is bench/fleet.py's, so the bench measures what is
asserted here."""
from __future__ import annotations

import pytest
from moto import mock_aws

from bench.dynamo import Counted
from bench.fleet import dashboard, fleet_reports
from chalicelib.puppetdb import queries
from chalicelib.puppetdb.catalogue import EVENTS
from chalicelib.puppetdb.dialects import v4
from tests.conftest import ADAPTERS, make_store

NODES = 300
TARGET = 1.25
RERUN = 10          # every tenth node has a second run, so its first is not latest


def _fleet():
    """300 nodes of 4 events a report; every RERUN-th node reported twice. (Events of
    one report read its events and its commit item: 5 items for 4, docs/dynamodb.md.)"""
    for report in fleet_reports(NODES, 2, 4):
        index = int(report.certname[4:9])
        if report.configuration_version.endswith("1") and index % RERUN:
            continue
        yield report


@pytest.fixture(scope="module")
def fleets(tmp_path_factory):
    with mock_aws():
        stores = {adapter: make_store(adapter, tmp_path_factory.mktemp(adapter))
                  for adapter in ADAPTERS}
        latest: dict = {}
        for report in _fleet():
            latest[report.certname] = report
            for store in stores.values():
                store.store_report(report)
        middle = latest[sorted(latest)[NODES // 2 - NODES // 2 % RERUN]]   # a twice-run node
        mixes = {adapter: dashboard(store, middle.certname, middle.hash,
                                    sum(len(r.events) for r in latest.values()), NODES)
                 for adapter, store in stores.items()}
        yield stores, mixes, latest


QUERIES = [query.name for query in dashboard(None, "x", "y", 0, 0) if query.dashboard]


def _answer(result):
    """An answer as plain data: a Page's items, event-counts' (summarize_by, page)."""
    if isinstance(result, tuple):
        return result[0], _answer(result[1])
    return list(result.items) if hasattr(result, "items") else result


def _query(mixes, adapter, name):
    return next(q for q in mixes[adapter] if q.name == name)


@pytest.mark.parametrize("name", QUERIES)
def test_dynamodb_reads_at_most_125_items_per_item_returned_and_never_scans(fleets, name):
    stores, mixes, _ = fleets
    query = _query(mixes, "dynamodb", name)
    counted = Counted(stores["dynamodb"].client)
    try:
        answer = query.call()
    finally:
        counted.close()
    returned = query.returned(answer)
    read = counted.page + counted.count + counted.lookups
    assert returned > 0
    assert "scan" not in counted.calls, counted.calls
    assert read <= TARGET * returned, (read, returned, dict(counted.calls))


@pytest.mark.parametrize("name", QUERIES)
def test_both_adapters_answer_alike(fleets, name):
    _, mixes, _ = fleets
    answers = {adapter: _answer(_query(mixes, adapter, name).call()) for adapter in ADAPTERS}
    assert answers["sqlite"] == answers["dynamodb"]


def test_the_dashboard_mix_returns_the_latest_reports_only(fleets):
    stores, mixes, latest = fleets
    for adapter in ADAPTERS:
        _, page = _query(mixes, adapter, "event-counts by certname, latest").call()
        assert len(page.items) == NODES
        nodes = _query(mixes, adapter, "nodes page (every node's summary, by certname)").call()
        assert {n["latest_report_hash"] for n in nodes.items} == {r.hash for r in latest.values()}


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("params", [
    {"summarize_by": "certname"},
    {"summarize_by": "certname", "count_by": "certname"},
    {"summarize_by": "certname", "counts_filter": '[">", "failures", 0]'},
])
def test_counts_from_the_node_summaries_equal_counts_of_the_latest_events(fleets, adapter, params):
    """The summary path (queries._node_counts) against counting every latest event."""
    stores, _, _ = fleets
    request = v4.parse_request({"query": '["=", "latest_report?", true]', **params}, None,
                               EVENTS, v4.EVENT_COUNTS_PARAMS, counting=True)
    _, page = queries.event_counts(stores[adapter], request, 0)
    events = queries._all_events(stores[adapter], request.where, 0)
    counted = queries._counts(events, "certname", request.count_by, request.counts_filter)
    assert sorted(page.items, key=lambda r: r["certname"]) == \
        sorted(counted, key=lambda r: r["certname"])
