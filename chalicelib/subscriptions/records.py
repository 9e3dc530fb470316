"""Source records: what a write stored, as plain JSON-ready dicts (the SQLite outbox
holds them as JSON; the DynamoDB stream handler rebuilds them from item images), and
each source's CloudEvent `data`, shaped as the source's own API shows the record.
"""
from __future__ import annotations

import json
from typing import Iterable, Mapping

from .. import timestamps
from ..puppetdb import views as v4views
from ..puppetdb.catalogue import REPORT_FIELDS, STATUS_COUNTS
from ..puppetdb.model import Report
from . import model


def _order_key(summary: Mapping, latest_key: str, report_hash: str) -> str:
    # As DynamoDB's report index orders a node's reports (storage/dynamodb/puppetdb.py).
    return f"{summary.get('producer_timestamp') or latest_key}#{report_hash}"


def event_counts(statuses: Iterable[str]) -> dict[str, int]:
    """PuppetDB's event-counts columns (failures, successes, noops, skips) of one report."""
    counts = {column: 0 for column in STATUS_COUNTS.values()}
    for status in statuses:
        if status in STATUS_COUNTS:
            counts[STATUS_COUNTS[status]] += 1
    return counts


def report_record(summary: Mapping, report_hash: str, certname: str, latest_key: str,
                  statuses: Iterable[str]) -> dict:
    record = {name: summary.get(name) for name in REPORT_FIELDS}
    record.update(hash=report_hash, certname=certname,
                  order_key=_order_key(summary, latest_key, report_hash),
                  event_counts=event_counts(statuses))
    return record


def event_records(events: Iterable[Mapping], order_key: str) -> list[dict]:
    return [{**event, "order_key": order_key} for event in events]


def from_report(report: Report) -> dict:
    """The puppetdb.report record of a stored report (event_records gives its events')."""
    return report_record(report.summary, report.hash, report.certname, report.latest_key,
                         (e["status"] for e in report.events))


def job_event(event) -> dict:
    """An orchestrator JobEvent (or its fields) -> record."""
    return {"id": event.id, "job": event.job, "type": event.type,
            "timestamp": event.timestamp, "details": dict(event.details),
            "message": event.message}


def commit(new, sequence: int) -> dict:
    """An activity NewCommit/Commit and its sequence -> record."""
    return {"sequence": sequence, "service_id": new.service_id,
            "subject": dict(new.subject.__dict__),
            "objects": [dict(o.__dict__) for o in new.objects],
            "ip_address": new.ip_address, "timestamp": new.timestamp,
            "events": list(new.events)}


def data(source: str, record: Mapping) -> dict:
    """The CloudEvent `data`: the record as its API shows it."""
    if source == model.REPORT:
        shown = {key: record.get(key) for key in v4views.REPORT_KEYS}
        for key in v4views.REPORT_TIMES:
            shown[key] = timestamps.millis(shown[key])
        for key in ("noop", "noop_pending", "corrective_change"):
            if shown[key] is not None:
                shown[key] = bool(shown[key])
        shown["event_counts"] = dict(record["event_counts"])
        shown["resource_events"] = {"href": v4views.report_path(record["hash"], "events")}
        return shown
    if source == model.EVENT:
        shown = v4views.event(dict(record))
        if shown.get("corrective_change") is not None:
            shown["corrective_change"] = bool(shown["corrective_change"])
        return shown
    if source == model.JOB_EVENT:
        return {"id": str(record["id"]), "job": str(record["job"]), "type": record["type"],
                "timestamp": timestamps.seconds(record["timestamp"]),
                "details": record["details"], "message": record["message"]}
    if source == model.COMMIT:
        return {"service_id": record["service_id"],
                "objects": [{k: v for k, v in o.items() if v is not None or k == "name"}
                            for o in record["objects"]],
                "subject": {"id": record["subject"].get("id"),
                            "name": record["subject"].get("name")},
                "timestamp": timestamps.seconds(record["timestamp"]),
                "ip_address": record["ip_address"], "events": record["events"]}
    raise ValueError(f"unknown source {source!r}")


def subject(source: str, record: Mapping) -> str:
    """CloudEvents `subject`: the node, the job, the service."""
    return str(model.SOURCE_SPECS[source].key(record))


def dumps(record: Mapping) -> str:
    return json.dumps(record, separators=(",", ":"), default=list)
