"""Response shapes. v4 (PuppetDB 7; ../shared/notes/puppetdb.md 3 and 5.1): underscore
keys, every timestamp UTC with milliseconds and `Z` (pypuppetdb parses exactly
`%Y-%m-%dT%H:%M:%S.%fZ`), stored JSON decoded. /experimental/events (1.4, notes 1.7):
dashed keys (experimental_event)."""
from __future__ import annotations

import json

from .. import timestamps
from .catalogue import COUNT_COLUMNS, SUMMARIZE_BY

EVENT_TIMES = ("timestamp", "run_start_time", "run_end_time", "report_receive_time")
REPORT_TIMES = ("start_time", "end_time", "producer_timestamp", "receive_time")
EVENT_KEYS = ("certname", "configuration_version", "containing_class", "containment_path",
              "corrective_change", "environment", "file", "line", "message", "name",
              "new_value", "old_value", "property", "report", "report_receive_time",
              "resource_title", "resource_type", "run_end_time", "run_start_time", "status",
              "timestamp")
REPORT_KEYS = ("hash", "certname", "puppet_version", "report_format", "configuration_version",
               "start_time", "end_time", "producer_timestamp", "receive_time",
               "transaction_uuid", "catalog_uuid", "code_id", "job_id",
               "cached_catalog_status", "producer", "environment", "status", "noop",
               "noop_pending", "corrective_change", "type")


def _decoded(value):
    return None if value is None else json.loads(value)


def event(record: dict) -> dict:
    shown = {key: record.get(key) for key in EVENT_KEYS}
    for key in EVENT_TIMES:
        shown[key] = timestamps.millis(shown[key])
    for key in ("new_value", "old_value", "containment_path"):
        shown[key] = _decoded(shown[key])
    return shown


def report_path(report_hash: str, child: str) -> str:
    return f"/pdb/query/v4/reports/{report_hash}/{child}"


def metrics(record: dict) -> list:
    return _decoded(record.get("metrics")) or []


def logs(record: dict) -> list:
    """Log times as Puppet sent them; a log stored before they were kept so (in the
    stored form) is shown as other times are."""
    return [{**log, "time": timestamps.millis(log["time"])}
            if isinstance(log.get("time"), str) and timestamps.is_stored(log["time"]) else log
            for log in _decoded(record.get("logs")) or []]


def report(record: dict) -> dict:
    """A report: its fields; metrics and logs expanded; events by reference (they are
    paged through /reports/<hash>/events, so a report list stays bounded)."""
    shown = {key: record.get(key) for key in REPORT_KEYS}
    for key in REPORT_TIMES:
        shown[key] = timestamps.millis(shown[key])
    shown["metrics"] = {"href": report_path(record["hash"], "metrics"), "data": metrics(record)}
    shown["logs"] = {"href": report_path(record["hash"], "logs"), "data": logs(record)}
    shown["resource_events"] = {"href": report_path(record["hash"], "events")}
    return shown


# PuppetDB 7's node fields (nodes.clj nodes-wireformat-schema order); facts and
# catalog fields are never stored, so always null.
NODE_KEYS = ("certname", "deactivated", "expired", "catalog_timestamp", "facts_timestamp",
             "report_timestamp", "catalog_environment", "facts_environment",
             "report_environment", "latest_report_status", "latest_report_hash",
             "latest_report_noop", "latest_report_noop_pending", "cached_catalog_status",
             "latest_report_corrective_change", "latest_report_job_id")
NODE_TIMES = ("deactivated", "expired", "report_timestamp")


def node(record: dict) -> dict:
    """A node from its summary (puppetdb/nodes.py NODE_FIELDS)."""
    shown = {key: record.get(key) for key in NODE_KEYS}
    for key in NODE_TIMES:
        shown[key] = timestamps.millis(shown[key])
    return shown


def environment(record: dict) -> dict:
    return {"name": record["name"]}


def event_count(summarize_by: str, counts: dict) -> dict:
    """PDB query/event_counts.clj munge-subject."""
    fields = SUMMARIZE_BY[summarize_by]
    if summarize_by == "resource":
        subject = {"type": counts["resource_type"], "title": counts["resource_title"]}
    else:
        subject = {"title": counts[fields[0]]}
    return {"subject_type": summarize_by, "subject": subject,
            **{name: counts[name] for name in COUNT_COLUMNS}}


def experimental_event(record: dict) -> dict:
    """/experimental/events (PuppetDB 1.4, notes 1.7): dashed keys."""
    def decoded(name):
        value = record.get(name)
        return None if value is None else json.loads(value)
    return {
        "certname": record["certname"],
        "configuration-version": record.get("configuration_version"),
        "report": record["report"],
        "status": record["status"],
        "timestamp": timestamps.millis(record["timestamp"]),
        "resource-type": record["resource_type"],
        "resource-title": record["resource_title"],
        "property": record.get("property"),
        "new-value": decoded("new_value"),
        "old-value": decoded("old_value"),
        "message": record.get("message"),
        "file": record.get("file"),
        "line": record.get("line"),
        "containment-path": decoded("containment_path"),
        "containing-class": record.get("containing_class"),
    }
