"""v4 storage cases that need a fresh store (both adapters): logs beyond one
DynamoDB item, an empty store."""
from __future__ import annotations

import json

from chalicelib.puppetdb.ingest import reports
from tests.contract.test_puppetdb_v4_store import RECEIVED, _bodies, _events, _reports


def test_logs_larger_than_one_dynamodb_item_are_stored_whole(store):
    body = _bodies()[0]
    body["logs"] = [{**body["logs"][0], "message": f"{n:06d}" + "x" * 1000} for n in range(700)]
    report = reports.from_v8(body, RECEIVED)
    store.store_report(report)
    (found,) = _reports(store, ["=", "hash", report.hash]).items
    assert [log["message"][:6] for log in json.loads(found["logs"])] == \
        [f"{n:06d}" for n in range(700)]


def test_latest_report_and_an_empty_in_on_an_empty_store_find_nothing(store):
    assert _reports(store, ["=", "latest_report?", True]).total == 0
    assert _events(store, ["=", "latest_report?", True]) == []
    assert _events(store, ["in", "status", ["array", []]]) == []
