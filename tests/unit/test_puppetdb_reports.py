"""Reports -> stored events (../shared/notes/puppetdb.md 1.2, 2.1, 2.2)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.puppetdb import demo
from chalicelib.puppetdb.ingest import reports
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


def test_v8_keeps_the_report_level_fields_v4_answers_with():
    summary = reports.from_v8(_body(), "2026-11-22T06:00:00.000000Z").summary
    assert (summary["puppet_version"], summary["report_format"], summary["status"]) == \
        ("7.23.0", 12, "failed")
    assert (summary["noop"], summary["noop_pending"], summary["type"]) == (False, True, "agent")
    assert summary["receive_time"] == "2026-11-22T06:00:00.000000Z"
    assert json.loads(summary["metrics"]) == _body()["metrics"]


def test_log_times_are_kept_as_puppet_sent_them():
    """PuppetDB 7 answers them so (tests/conformance)."""
    body = _body()
    body["logs"] = [{**body["logs"][0], "time": "2026-11-22T07:06:51.428+02:00"}]
    (log,) = json.loads(reports.from_v8(body).summary["logs"])
    assert log["time"] == "2026-11-22T07:06:51.428+02:00"


def test_an_invalid_log_time_is_refused():
    body = _body()
    body["logs"] = [{**body["logs"][0], "time": "yesterday"}]
    with pytest.raises(reports.InvalidReport, match="invalid timestamp for 'time'"):
        reports.from_v8(body)


def test_v8_events_carry_name_and_the_runs_times():
    report = reports.from_v8(_body(), "2026-11-22T06:00:00.000000Z")
    event = report.events[0]
    assert event["name"] == "directory_created" and event["corrective_change"] is False
    assert (event["run_start_time"], event["run_end_time"], event["report_receive_time"]) == (
        "2026-11-22T05:06:51.428000Z", "2026-11-22T05:06:51.469000Z",
        "2026-11-22T06:00:00.000000Z")
    assert event["environment"] == "production"


def test_v2_reports_have_their_dashed_fields_and_no_name():
    b1, _ = demo.example_reports()
    assert (b1.summary["puppet_version"], b1.summary["report_format"]) == ("3.0.1", 3)
    assert b1.summary["metrics"] == "[]" and b1.events[0]["name"] is None
    assert b1.events[0]["run_start_time"] == "2011-01-01T15:00:00.000000Z"


@pytest.mark.parametrize("key,value", [("metrics", {"a": 1}), ("noop", "yes"),
                                       ("report_format", "12")])
def test_a_v8_report_with_a_mistyped_report_field_is_invalid(key, value):
    body = {**_body(), key: value}
    with pytest.raises(reports.InvalidReport):
        reports.from_v8(body)
