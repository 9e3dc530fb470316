"""Puppet's stored YAML reports -> the v8 body its PuppetDB report processor sends
(chalicelib/puppetdb/ingest/yaml_reports.py, ruby_yaml.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from chalicelib.puppetdb.ingest import reports, ruby_yaml, yaml_reports

FIXTURES = Path(__file__).parent.parent / "fixtures"
REPORTDIR = FIXTURES / "puppet" / "reportdir" / "node-a.anchor.test"
# The same Puppet runs, once as `reports = store` wrote them and once as the
# `reports = puppetdb` processor sent them (same transaction_uuid).
SAME_RUNS = [("202611220506-run1.yaml", "store_report_v8_1.json"),
             ("202611220506-run3.yaml", "store_report_v8_3.json")]


def _yaml_body(name: str) -> dict:
    tag, document = ruby_yaml.load((REPORTDIR / name).read_bytes())
    assert tag == yaml_reports.REPORT_TAG
    return yaml_reports.to_v8(document)


def _sent_body(name: str) -> dict:
    return json.loads((FIXTURES / "puppetdb" / name).read_text())["body"]


@pytest.mark.parametrize("stored,sent", SAME_RUNS)
def test_a_stored_report_converts_to_the_body_the_report_processor_sent(stored, sent):
    body, original = _yaml_body(stored), _sent_body(sent)
    assert {k: v for k, v in body.items() if k != "producer_timestamp"} == \
        {k: v for k, v in original.items() if k != "producer_timestamp"}


@pytest.mark.parametrize("stored,sent", SAME_RUNS)
def test_an_imported_report_has_the_submitted_reports_events(stored, sent):
    body, original = _yaml_body(stored), _sent_body(sent)
    imported, submitted = reports.from_v8(body), reports.from_v8(original)
    strip = lambda events: [{k: v for k, v in e.items() if k not in ("report", "report_receive_time")}  # noqa: E731
                             for e in events]
    assert strip(imported.events) == strip(submitted.events)


def test_the_end_time_stands_in_for_the_missing_submission_time():
    body = _yaml_body("202611220506-run1.yaml")
    assert body["producer_timestamp"] == body["end_time"] == "2026-11-22T05:06:51.469+00:00"


def test_the_hash_depends_on_the_file_content_only():
    first = reports.from_v8(_yaml_body("202611220506-run1.yaml"))
    again = reports.from_v8(_yaml_body("202611220506-run1.yaml"))
    other = reports.from_v8(_yaml_body("202611220506-run3.yaml"))
    assert first.hash == again.hash != other.hash


@pytest.mark.parametrize("text,plus,expected", [
    ("2026-11-22T05:06:51.428171308+00:00", 0.0, "2026-11-22T05:06:51.428+00:00"),
    ("2026-11-22T05:06:51.428171308+00:00", 0.040915224, "2026-11-22T05:06:51.469+00:00"),
    ("2013-09-12 10:00:59.9995 +02:00", 0.0006, "2013-09-12T10:01:00.000+02:00"),
    ("2013-09-12T23:59:59.999-03:30", 1.5, "2013-09-13T00:00:01.499-03:30"),
    ("2013-09-12T10:00:00Z", 0.0, "2013-09-12T10:00:00.000Z"),
])
def test_times_are_rubys_iso8601_with_milliseconds_truncated(text, plus, expected):
    assert yaml_reports.wire_time(text, plus) == expected


def test_a_time_that_is_not_a_time_is_an_invalid_report():
    with pytest.raises(reports.InvalidReport, match="invalid time"):
        yaml_reports.wire_time("yesterday")


@pytest.mark.parametrize("value,expected", [
    (None, ""), ("absent", "absent"), (0, "0"), (True, "true"),
    (["0", 1], '["0", 1]'), ({"a": None}, '{"a"=>nil}')])
def test_event_values_are_rubys_to_s(value, expected):
    assert yaml_reports.ruby_to_s(value) == expected


def test_a_base64_checksum_is_decoded_and_other_base64_looking_text_kept():
    encoded = "e3NoYTI1Nn03MzZlNzljNmZjMmQ2Y2I2ZDM2NGM0NjU0MjZjNTgyNmNiYmY4Njg3YTUzYjlhOWQ4OGNmODE5NTE1ZWJlMDY3"
    assert yaml_reports.event_value(encoded).startswith("{sha256}736e79c6")
    assert yaml_reports.event_value("abcd") == "abcd"


def test_ruby_tags_become_plain_values_and_times_stay_text():
    text = ("--- !ruby/object:Puppet::Transaction::Report\nhost: a\n"
            "time: 2013-09-12 10:00:00.123456789 +02:00\n"
            "logs:\n- !ruby/object:Puppet::Util::Log\n  level: !ruby/sym notice\n")
    tag, document = ruby_yaml.load(text)
    assert tag == "!ruby/object:Puppet::Transaction::Report"
    assert document == {"host": "a", "time": "2013-09-12 10:00:00.123456789 +02:00",
                        "logs": [{"level": "notice"}]}


def test_untagged_yaml_has_no_tag():
    assert ruby_yaml.load("a: 1\n") == (None, {"a": 1})


def test_a_yaml_error_is_described_with_its_line():
    with pytest.raises(yaml.YAMLError) as error:
        ruby_yaml.load("a: [\n")
    assert "line 2" in ruby_yaml.describe(error.value)


def _minimal(**changes) -> dict:
    report = {"host": "n.example", "time": "2024-05-01T12:00:00.000+00:00",
              "environment": "production", "resource_statuses": {}}
    return {**report, **changes}


def _status(*event_statuses: str, skipped: bool = False) -> dict:
    return {"title": "x", "resource_type": "Notify", "time": "2024-05-01T12:00:00.000+00:00",
            "skipped": skipped, "events": [{"status": s, "time": "2024-05-01T12:00:00.000+00:00"}
                                           for s in event_statuses]}


def test_only_resources_with_events_or_skipped_are_sent():
    body = yaml_reports.to_v8(_minimal(resource_statuses={
        "Notify[a]": _status(), "Notify[b]": _status("success"), "Notify[c]": _status(skipped=True)}))
    assert [(r["skipped"], len(r["events"])) for r in body["resources"]] == [(False, 1), (True, 0)]


@pytest.mark.parametrize("event_statuses,noop", [(("noop",), True), (("noop", "success"), False), ((), False)])
def test_a_missing_noop_flag_is_inferred_as_the_processor_does(event_statuses, noop):
    body = yaml_reports.to_v8(_minimal(resource_statuses={
        f"Notify[{i}]": _status(s) for i, s in enumerate(event_statuses)}))
    assert body["noop"] is noop


@pytest.mark.parametrize("missing", ["host", "time", "resource_statuses", "environment"])
def test_a_report_without_its_required_keys_is_invalid(missing):
    report = _minimal()
    del report[missing]
    with pytest.raises(reports.InvalidReport):
        yaml_reports.to_v8(report)
