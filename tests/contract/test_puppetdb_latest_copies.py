"""DynamoDB: the LATEST copies of a node's latest-report events (storage/dynamodb/
latest.py; docs/dynamodb.md, "Latest events") hold exactly the node's latest report,
whatever the arrival order, under racing writers, and after a writer died half-way."""
from __future__ import annotations

import random
import threading

import boto3
import pytest
from moto import mock_aws

from chalicelib.puppetdb.catalogue import full_order
from chalicelib.puppetdb.ingest import reports
from chalicelib.query.ast import Compare, all_of
from chalicelib.storage.dynamodb import DynamoStorage
from tests.conftest import make_store
from tests.payloads import report as report_body

NODE = "web01.example.com"
RECEIVED = "2026-11-23T00:00:00.000Z"


@pytest.fixture
def dynamo(tmp_path):
    with mock_aws():
        yield make_store("dynamodb", tmp_path)


def _report(run: int, events: int = 3, certname: str = NODE):
    return reports.from_v8(report_body(certname, run, events), received=RECEIVED)


def _copies(store, certname: str = NODE) -> set[tuple[str, int]]:
    """(report, seq) of every copy in the node's partition (a raw read)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    items = client.query(TableName=store.table_name("pdb-latest"), ConsistentRead=True,
                         KeyConditionExpression="PK = :p",
                         ExpressionAttributeValues={":p": {"S": certname}})["Items"]
    return {(i["report"]["S"], int(i["seq"]["N"])) for i in items}


def _events_of(report) -> set[tuple[str, int]]:
    return {(report.hash, e["seq"]) for e in report.events}


def _latest_events(store, *terms):
    where = all_of(Compare("latest_report", "=", True), *terms)
    return store.find_events(where, full_order(()), 0, None).items


def test_the_copies_are_the_latest_reports_events(dynamo):
    first, second = _report(1), _report(2, events=5)
    dynamo.store_report(first)
    assert _copies(dynamo) == _events_of(first)
    dynamo.store_report(second)
    assert _copies(dynamo) == _events_of(second)


def test_an_older_report_arriving_late_writes_no_copies(dynamo):
    newer, older = _report(9), _report(3)
    dynamo.store_report(newer)
    dynamo.store_report(older)
    assert _copies(dynamo) == _events_of(newer)
    assert {e["report"] for e in _latest_events(dynamo)} == {newer.hash}


def test_a_report_of_250_events_is_copied_and_replaced_whole(dynamo):
    big, small = _report(1, events=250), _report(2, events=2)
    dynamo.store_report(big)
    assert len(_copies(dynamo)) == 250
    dynamo.store_report(small)
    assert _copies(dynamo) == _events_of(small)


def test_a_writer_that_lost_its_place_before_copying_writes_nothing(dynamo, monkeypatch):
    """A advances `latest`, stalls; B (later) advances and copies; A resumes its copy."""
    a, b = _report(1), _report(2)
    stalled: list = []
    monkeypatch.setattr(DynamoStorage, "_sync_latest", lambda self, r: stalled.append(r))
    dynamo.store_report(a)
    monkeypatch.undo()
    dynamo.store_report(b)
    dynamo._sync_latest(stalled[0])
    assert _copies(dynamo) == _events_of(b)


def test_a_writer_overtaken_while_copying_removes_its_own_copies(dynamo, monkeypatch):
    """A saw itself latest and listed the partition; B then advanced and copied (its
    listing did not see A's copies, not yet written); A's second look removes them."""
    a, b = _report(1), _report(2)
    original = DynamoStorage._latest_copies
    overtaken: list = []

    def list_then_be_overtaken(self, certname):
        copies = original(self, certname)
        if not overtaken:
            overtaken.append(True)
            self._advance_latest(b)
            self._sync_latest(b)
        return copies
    dynamo._advance_latest(a)
    monkeypatch.setattr(DynamoStorage, "_latest_copies", list_then_be_overtaken)
    dynamo._sync_latest(a)
    monkeypatch.undo()
    assert _copies(dynamo) == _events_of(b)


def test_an_overtaking_writer_deletes_copies_it_finds_of_lower_reports_only(dynamo, monkeypatch):
    """B (stale) lists the partition after C, the latest, copied: B deletes A's
    copies, never C's."""
    a, b, c = _report(1), _report(2), _report(3)
    dynamo.store_report(a)
    monkeypatch.setattr(DynamoStorage, "_sync_latest", lambda self, r: None)
    dynamo.store_report(b)
    dynamo.store_report(c)
    monkeypatch.undo()
    dynamo._sync_latest(c)                  # the latest copies first...
    calls = iter([True, False])
    monkeypatch.setattr(DynamoStorage, "_is_latest", lambda self, r: next(calls))
    dynamo._sync_latest(b)                  # ...then stale B, latest at its first look only
    monkeypatch.undo()
    assert _copies(dynamo) == _events_of(c)


def test_a_writer_that_died_before_copying_is_completed_by_its_retry(dynamo, monkeypatch):
    a, b = _report(1), _report(2)
    dynamo.store_report(a)
    original = dynamo.client.batch_write_item

    def die(**kwargs):
        if "test-pdb-latest" in kwargs["RequestItems"]:
            raise RuntimeError("writer died")
        return original(**kwargs)
    monkeypatch.setattr(dynamo.client, "batch_write_item", die)
    with pytest.raises(RuntimeError):
        dynamo.store_report(b)
    assert _copies(dynamo) == _events_of(a)       # stale until someone finishes
    monkeypatch.setattr(dynamo.client, "batch_write_item", original)
    assert dynamo.store_report(b) is False         # stored already; the retry copies
    assert _copies(dynamo) == _events_of(b)


def test_the_nodes_next_report_removes_copies_a_dead_writer_left(dynamo, monkeypatch):
    a, b, c = _report(1), _report(2), _report(3)
    dynamo.store_report(a)
    monkeypatch.setattr(DynamoStorage, "_sync_latest", lambda self, r: None)
    dynamo.store_report(b)                         # latest is b; a's copies remain
    monkeypatch.undo()
    dynamo.store_report(c)
    assert _copies(dynamo) == _events_of(c)


def test_racing_writers_of_one_node_leave_the_latest_reports_copies(dynamo):
    runs = [_report(run, events=1 + run % 4) for run in range(1, 13)]
    order = runs[:]
    random.Random(15).shuffle(order)
    failures: list = []

    def store(report):
        try:
            dynamo.store_report(report)
        except Exception as error:      # noqa: BLE001 - reported below
            failures.append(error)
    threads = [threading.Thread(target=store, args=(r,)) for r in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _copies(dynamo) == _events_of(runs[-1])


def test_backfill_copies_the_latest_reports_of_tables_written_before_the_copies(dynamo, monkeypatch):
    first, second, other = _report(1), _report(2), _report(1, certname="db01.example.com")
    monkeypatch.setattr(DynamoStorage, "_sync_latest", lambda self, r: None)
    for report in (first, second, other):
        dynamo.store_report(report)
    monkeypatch.undo()
    assert _copies(dynamo) == set()
    assert dynamo.backfill_latest() == 2
    assert dynamo.backfill_latest() == 2            # idempotent
    assert _copies(dynamo) == _events_of(second)
    assert _copies(dynamo, "db01.example.com") == _events_of(other)
    assert {e["report"] for e in _latest_events(dynamo)} == {second.hash, other.hash}


@pytest.mark.parametrize("adapter", ["sqlite", "dynamodb"])
def test_latest_events_by_status_and_by_node_on_both_adapters(adapter, tmp_path):
    with mock_aws():
        store = make_store(adapter, tmp_path)
        for run in (1, 2):
            for certname in ("a.example.com", "b.example.com"):
                store.store_report(_report(run, events=2 + run, certname=certname))
        latest = {e["report"] for e in _latest_events(store)}
        assert latest == {_report(2, certname=c).hash for c in ("a.example.com", "b.example.com")}
        assert len(_latest_events(store, Compare("status", "=", "success"))) == 8
        assert _latest_events(store, Compare("status", "=", "failure")) == []
        by_node = _latest_events(store, Compare("certname", "=", "b.example.com"))
        assert {e["report"] for e in by_node} == {_report(2, certname="b.example.com").hash}
        assert len(by_node) == 4
