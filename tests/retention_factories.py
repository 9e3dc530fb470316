"""Retention tests' data and clock: reports made at a chosen time, lifetimes set
through the environment (as a deployment sets them), and `now` patched where every
module reads it (chalicelib.timestamps.now)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib import retention, timestamps
from chalicelib.config import settings
from chalicelib.puppetdb.ingest import reports
from chalicelib.puppetdb.catalogue import full_order
from chalicelib.query.ast import EVERYTHING, Compare

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)

LIFETIMES = {"EVENTS_REPORT_TTL": "14d", "EVENTS_RESOURCE_EVENTS_TTL": "14d",
             "EVENTS_NODE_TTL": "7d", "EVENTS_NODE_PURGE_TTL": "14d",
             "EVENTS_JOB_PRUNE_DAYS_THRESHOLD": "30", "EVENTS_ACTIVITY_TTL": "0"}


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self, monkeypatch, start: datetime = T0):
        self.now = start
        monkeypatch.setattr(timestamps, "now", lambda: self.now)

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


def lifetimes(monkeypatch, **overrides) -> retention.Policy:
    """Set PuppetDB's defaults (and `overrides`, by env name) for this test."""
    for name, value in {**LIFETIMES, **overrides}.items():
        monkeypatch.setenv(name, value)
    return retention.Policy.from_settings(settings())


def millis(moment: datetime) -> str:
    return timestamps.millis(timestamps.stored(moment))


def report(certname: str, produced: datetime, events: int = 2,
           event_times: list[datetime] | None = None, version: str = "1"):
    """A v8 report of `certname` produced at `produced`, with `events` File events
    (or one per time of `event_times`), received when produced."""
    times = event_times or [produced - timedelta(seconds=events - i) for i in range(events)]
    body = {
        "certname": certname, "job_id": None, "puppet_version": "7.23.0", "report_format": 12,
        "configuration_version": version, "producer_timestamp": millis(produced),
        "start_time": millis(produced - timedelta(seconds=30)), "end_time": millis(produced),
        "environment": "production", "transaction_uuid": f"{certname}-{produced.isoformat()}",
        "status": "changed", "noop": False, "noop_pending": False, "corrective_change": False,
        "logs": [], "metrics": [], "catalog_uuid": None, "code_id": None,
        "cached_catalog_status": "not_used", "producer": certname,
        "resources": [{
            "skipped": False, "timestamp": millis(when), "resource_type": "File",
            "resource_title": f"/tmp/{certname}/{i}", "file": "site.pp", "line": i + 1,
            "containment_path": ["Stage[main]", "Main", f"File[/tmp/{certname}/{i}]"],
            "corrective_change": False,
            "events": [{"status": "success", "timestamp": millis(when), "name": "created",
                        "property": "ensure", "new_value": "file", "old_value": "absent",
                        "corrective_change": False, "message": "created"}]}
            for i, when in enumerate(times)],
    }
    return reports.from_v8(body, timestamps.stored(produced))


def certname_is(certname: str):
    return Compare("certname", "=", certname)


def latest_is(value: bool = True):
    return Compare("latest_report", "=", value)


def report_hashes(store, where=EVERYTHING) -> set[str]:
    return {r["hash"] for r in store.find_reports(where, (("hash", "asc"),), 0, None).items}


def event_reports(store, where=EVERYTHING) -> list[str]:
    return [e["report"] for e in store.find_events(where, full_order(()), 0, None).items]
