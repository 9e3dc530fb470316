"""Reports -> stored events (../shared/notes/puppetdb.md 1.2, 2.1, 2.2)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.puppetdb import demo, reports
from chalicelib.puppetdb.model import containing_class

FIXTURE = Path(__file__).parent.parent / "fixtures" / "puppetdb" / "store_report_v8_1.json"


@pytest.mark.parametrize("path,expected", [
    (["Stage[main]", "Foo", "File[x]"], "Foo"), (["Foo", "", "Bar[Baz]"], "Foo"),
    (["Stage[main]", "", "Node[default]", "Notify[x]"], None), (None, None), ([], None)])
def test_containing_class_is_the_innermost_class(path, expected):
    assert containing_class(path) == expected


def _body():
    return json.loads(FIXTURE.read_text())["body"]


def test_v8_events_inherit_resource_fields_and_utc_times():
    report = reports.from_v8(_body())
    assert all(e["certname"] == "node-a.anchor.test" for e in report.events)
    assert all(e["timestamp"].endswith("Z") and len(e["timestamp"]) == 27 for e in report.events)
    assert report.latest_key == "2026-11-22T05:06:51.493000Z"


def test_a_skipped_resource_becomes_one_skipped_event_with_nulls():
    body = _body()
    body["resources"] = [{**body["resources"][0], "skipped": True}]
    (event,) = reports.from_v8(body).events
    assert event["status"] == "skipped"
    assert (event["property"], event["new_value"], event["old_value"], event["message"]) == \
        (None, None, None, None)


def test_a_resource_without_events_is_dropped():
    body = _body()
    body["resources"] = [{**body["resources"][0], "skipped": False, "events": []}]
    assert reports.from_v8(body).events == ()


def test_the_hash_is_stable_and_differs_per_report():
    assert reports.from_v8(_body()).hash == reports.from_v8(_body()).hash
    b1, b2 = demo.example_reports()
    assert b1.hash != b2.hash


def test_v2_latest_key_is_the_end_time():
    b1, _ = demo.example_reports()
    assert b1.latest_key == "2011-01-01T15:10:00.000000Z"


@pytest.mark.parametrize("key", ["certname", "producer_timestamp", "resources"])
def test_a_v8_report_missing_a_required_key_is_invalid(key):
    body = _body()
    del body[key]
    with pytest.raises(reports.InvalidReport):
        reports.from_v8(body)
