"""DynamoDB orders served by an index (docs/dynamodb.md, "Orders served by an index"):
an order led by `timestamp` (events) or `producer_timestamp` (reports) reads in key
order with `Limit` and stops after offset + limit matches and their ties; the answer
is the one sorting every match gives (SQLite, the same pages)."""
from __future__ import annotations

import pytest
from moto import mock_aws

from bench.dynamo import Counted
from chalicelib.puppetdb.catalogue import full_order
from chalicelib.puppetdb.ingest import reports
from chalicelib.query.ast import Compare
from tests.conftest import ADAPTERS, make_store
from tests.payloads import report as report_body

NODES = [f"n{i}.example.com" for i in range(5)]
RUNS, EVENTS = 4, 5          # every event of a run shares one timestamp: ties everywhere


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    with mock_aws():
        made = {adapter: make_store(adapter, tmp_path_factory.mktemp(adapter))
                for adapter in ADAPTERS}
        for run in range(1, RUNS + 1):
            for certname in NODES:
                report = reports.from_v8(report_body(certname, run, EVENTS),
                                         received="2026-11-23T00:00:00.000Z")
                for store in made.values():
                    store.store_report(report)
        yield made


def _events(store, where, order, offset, limit):
    return store.find_events(where, full_order(order), offset, limit, with_total=False).items


@pytest.mark.parametrize("where", [Compare("status", "=", "success"),
                                   Compare("certname", "=", NODES[2]),
                                   Compare("latest_report", "=", True)])
@pytest.mark.parametrize("order", [(("timestamp", "desc"),), (("timestamp", "asc"),)])
@pytest.mark.parametrize("offset, limit", [(0, 7), (3, 7), (12, 5), (0, 1)])
def test_index_ordered_pages_equal_the_full_sort(stores, where, order, offset, limit):
    pages = {a: _events(s, where, order, offset, limit) for a, s in stores.items()}
    assert pages["dynamodb"] == pages["sqlite"]
    assert len(pages["dynamodb"]) == limit


def test_a_timestamp_order_with_a_limit_stops_early(stores):
    counted = Counted(stores["dynamodb"].client)
    try:
        page = _events(stores["dynamodb"], Compare("certname", "=", NODES[0]),
                       (("timestamp", "desc"),), 0, 5)
    finally:
        counted.close()
    assert len(page) == 5
    # one run's 5 events, their tie group's peek (the next run's first), one commit item
    assert counted.page <= EVENTS + 1 + EVENTS, counted.calls
    assert counted.page < RUNS * EVENTS


def test_another_order_reads_every_match(stores):
    counted = Counted(stores["dynamodb"].client)
    try:
        _events(stores["dynamodb"], Compare("certname", "=", NODES[0]),
                (("resource_title", "asc"),), 0, 5)
    finally:
        counted.close()
    assert counted.page == RUNS * EVENTS


@pytest.mark.parametrize("offset, limit", [(0, 3), (2, 2)])
def test_a_nodes_reports_newest_first_read_only_the_page(stores, offset, limit):
    order = (("producer_timestamp", "desc"), ("hash", "asc"))      # catalogue.REPORTS tiebreak
    where = Compare("certname", "=", NODES[1])
    pages = {a: s.find_reports(where, order, offset, limit, with_total=False).items
             for a, s in stores.items()}
    assert [r["hash"] for r in pages["dynamodb"]] == [r["hash"] for r in pages["sqlite"]]
    assert pages["dynamodb"] == pages["sqlite"]
    counted = Counted(stores["dynamodb"].client)
    try:
        stores["dynamodb"].find_reports(where, order, offset, limit, with_total=False)
    finally:
        counted.close()
    assert counted.page <= offset + limit + 1
    assert counted.calls["query"] == 1             # metrics and logs are in the commit items


def test_include_total_counts_every_match(stores):
    page = stores["dynamodb"].find_events(Compare("status", "=", "success"),
                                          full_order(()), 0, 3, with_total=True)
    assert page.total == len(NODES) * RUNS * EVENTS
    assert len(page.items) == 3
