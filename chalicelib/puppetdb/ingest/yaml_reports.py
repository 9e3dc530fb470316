"""A stored Puppet report (`Puppet::Transaction::Report` as YAML) -> the store_report v8 body
Puppet's PuppetDB report processor would have sent for it, so an imported report goes
through `reports.from_v8` like a submitted one and gets the same events.

Mirrors `report_to_hash` of puppet-terminus-puppetdb's `puppet/reports/puppetdb.rb`
(Debian 7.12): times are Ruby `iso8601(3)` (truncated to milliseconds, offset kept),
`end_time` is the start plus the `time/total` metric, values are `to_s`, and only
resources with events or `skipped` are sent (`include_unchanged_resources = false`).
One YAML quirk is undone: Puppet writes a binary event value (a file's `{sha256}...`
checksum in a noop content event) base64-encoded (ToStringifiedConverter), where the
live processor sends the checksum itself.
The one thing a stored report lacks is the submission time, the processor's
`producer_timestamp`; the end time stands in for it, so the report hash (notes 2.2)
depends on the file's content only and a re-import finds the report already stored.
"""
from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Mapping

from .reports import InvalidReport

REPORT_TAG = "!ruby/object:Puppet::Transaction::Report"

_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$")


def wire_time(text: object, plus: float = 0.0) -> str:
    """Ruby's `(time + plus).iso8601(3)` for a time as Puppet writes it in YAML."""
    match = _TIME.match(str(text).strip()) if isinstance(text, str) else None
    if not match:
        raise InvalidReport(f"invalid time: {text!r}")
    day, clock, fraction, offset = match.groups()
    offset = offset or "Z"
    zone = _zone(offset)
    whole = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)
    # Ruby adds a Float's exact binary value to a Time, then iso8601(3) truncates.
    seconds = Decimal(f"0.{fraction or 0}") + Decimal(plus)
    carried = math.floor(seconds)
    millis = int((seconds - carried) * 1000)
    moment = whole + timedelta(seconds=carried)
    suffix = "Z" if offset == "Z" else moment.strftime("%z")
    suffix = suffix if suffix == "Z" else f"{suffix[:3]}:{suffix[3:]}"
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{millis:03d}{suffix}"


def _zone(offset: str) -> timezone:
    if offset == "Z":
        return timezone.utc
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if offset[0] == "-" else delta)


_CHECKSUM = re.compile(r"^\{[a-z0-9_]+\}[0-9a-f]+$")
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")


def event_value(value: object) -> str:
    """An event's old or new value as the report processor sends it (`to_s`)."""
    if isinstance(value, str) and _BASE64.match(value):
        try:
            decoded = base64.b64decode(value, validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if _CHECKSUM.match(decoded):
            return decoded
    return ruby_to_s(value)


def ruby_to_s(value: object) -> str:
    """Ruby's `to_s` for the values YAML gives us (nil -> "", arrays and hashes inspected)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return _inspect(value)


def _inspect(value: object) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_inspect(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_inspect(k)}=>{_inspect(v)}" for k, v in value.items()) + "}"
    return str(value)


def _metric_values(metrics: Mapping) -> list[dict]:
    listed = []
    for category, metric in metrics.items():
        # Puppet::Util::Metric#values sorts by label; the YAML keeps insertion order.
        values = sorted((v for v in (metric or {}).get("values") or [] if len(v) == 3),
                        key=lambda v: str(v[1]))
        listed += [{"category": (metric or {}).get("name", category), "name": name, "value": value}
                   for name, _label, value in values]
    return listed


def _run_duration(metrics: Mapping) -> float:
    for name, _label, value in ((metrics.get("time") or {}).get("values") or []):
        if name == "total":
            return float(value)
    return 0.0


def _event(event: Mapping) -> dict:
    return {"status": event.get("status"), "timestamp": wire_time(event.get("time")),
            "name": event.get("name"), "property": event.get("property"),
            "new_value": event_value(event.get("desired_value")),
            "old_value": event_value(event.get("previous_value")),
            "corrective_change": event.get("corrective_change"), "message": event.get("message")}


def _resource(status: Mapping) -> dict:
    return {"skipped": status.get("skipped"), "timestamp": wire_time(status.get("time")),
            "resource_type": status.get("resource_type"),
            "resource_title": ruby_to_s(status.get("title")),
            "file": status.get("file"), "line": status.get("line"),
            "containment_path": status.get("containment_path"),
            "corrective_change": status.get("corrective_change"),
            "events": [_event(e) for e in status.get("events") or []]}


def _log(log: Mapping) -> dict:
    return {"file": log.get("file"), "line": log.get("line"), "level": log.get("level"),
            "message": log.get("message"), "source": log.get("source"),
            "tags": list(log.get("tags") or []), "time": wire_time(log.get("time"))}


def to_v8(report: object) -> dict:
    """The store_report v8 body for a loaded YAML report. Raises InvalidReport."""
    if not isinstance(report, Mapping):
        raise InvalidReport("the report is not a mapping")
    for key in ("host", "time", "resource_statuses"):
        if report.get(key) is None:
            raise InvalidReport(f"missing required key '{key}'")
    if report.get("environment") is None:
        raise InvalidReport("environment is nil (PUP-2508); the report processor refuses it too")
    statuses = report["resource_statuses"]
    if not isinstance(statuses, Mapping) or not all(isinstance(s, Mapping) for s in statuses.values()):
        raise InvalidReport("resource_statuses is not a mapping of resource statuses")
    metrics = report.get("metrics") or {}
    resources = [r for r in map(_resource, statuses.values()) if r["events"] or r["skipped"]]
    noop = report.get("noop")
    if noop is None:
        statuses_of = [{e["status"] for e in r["events"]} for r in resources]
        noop = any("noop" in s for s in statuses_of) and not any(s - {"noop"} for s in statuses_of)
    end_time = wire_time(report["time"], _run_duration(metrics))
    return {
        "certname": report["host"], "job_id": report.get("job_id"),
        "puppet_version": report.get("puppet_version"), "report_format": report.get("report_format"),
        "configuration_version": ruby_to_s(report.get("configuration_version")),
        "producer_timestamp": end_time,
        "start_time": wire_time(report["time"]), "end_time": end_time,
        "environment": report["environment"], "transaction_uuid": report.get("transaction_uuid"),
        "status": report.get("status"), "noop": noop, "noop_pending": report.get("noop_pending"),
        "corrective_change": report.get("corrective_change"),
        "logs": [_log(log) for log in report.get("logs") or []],
        "metrics": _metric_values(metrics),
        "resources": resources,
        "catalog_uuid": report.get("catalog_uuid", report.get("transaction_uuid")),
        "code_id": report.get("code_id"),
        "cached_catalog_status": report.get("cached_catalog_status"),
        "producer": report["host"],
    }
