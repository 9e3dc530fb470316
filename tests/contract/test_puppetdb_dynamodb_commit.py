"""DynamoDB: a report with more events than one transaction holds is seen whole or
not at all (docs/dynamodb.md, "PuppetDB")."""
from __future__ import annotations

import dataclasses

import boto3
import pytest
from moto import mock_aws

from chalicelib.puppetdb import demo
from chalicelib.puppetdb.dialects import v1_4
from chalicelib.puppetdb.catalogue import full_order
from chalicelib.storage.dynamodb import DynamoStorage


@pytest.fixture
def dynamo():
    with mock_aws():
        store = DynamoStorage("test-", client=boto3.client("dynamodb", region_name="us-east-1"))
        store.create_tables()
        yield store


def _big_report(count: int):
    b1, _ = demo.example_reports()
    template = b1.events[0]
    events = tuple({**template, "seq": i, "resource_title": f"title {i}"} for i in range(count))
    return dataclasses.replace(b1, events=events)


def _visible(store, report):
    return store.find_events(v1_4.parse(["=", "report", report.hash]), full_order(()), 0, None)


def test_a_report_of_250_events_is_stored_whole(dynamo):
    report = _big_report(250)
    dynamo.store_report(report)
    assert _visible(dynamo, report).total == 250


def test_events_written_before_the_commit_item_are_invisible(dynamo, monkeypatch):
    report = _big_report(150)
    monkeypatch.setattr(DynamoStorage, "_advance_latest", lambda self, r: None)
    original = dynamo.client.put_item

    def crash_before_commit(**kwargs):
        raise RuntimeError("writer died")
    monkeypatch.setattr(dynamo.client, "put_item", crash_before_commit)
    with pytest.raises(RuntimeError):
        dynamo.store_report(report)
    assert _visible(dynamo, report).total == 0
    monkeypatch.setattr(dynamo.client, "put_item", original)
    assert dynamo.store_report(report) is True          # the retry commits it
    assert _visible(dynamo, report).total == 150


@pytest.mark.parametrize("term", [
    ["=", "report", "B1"],
    ["=", "certname", "foo.local"],
    ["and", ["=", "status", "success"], [">", "timestamp", "2011-01-01T12:00:00-03:00"]],
    ["and", ["=", "resource-type", "Notify"], ["~", "resource-title", "yo"]],
    ["=", "latest-report", True],
    ["or", ["=", "status", "skipped"], ["=", "certname", "foo.local"]],
])
def test_keyed_patterns_never_scan(dynamo, monkeypatch, term):
    b1, b2 = demo.example_reports()
    dynamo.store_report(b1)
    dynamo.store_report(b2)
    term = [b1.hash if t == "B1" else t for t in term]

    def no_scan(**kwargs):
        raise AssertionError("Scan used for an indexed pattern")
    monkeypatch.setattr(dynamo.client, "scan", no_scan)
    page = dynamo.find_events(v1_4.parse(term), full_order(()), 0, None)
    assert page.total > 0
