"""Reports as Puppet sends them -> `model.Report` (../shared/notes/puppetdb.md section 2).

v8 (`POST /pdb/cmd/v1`, the bare body of ../shared/fixtures/puppet/store_report_v8_*.json)
and the 1.4-era "store report" v2 payload (`POST /v2/commands`). Raises InvalidReport
with a plain-text reason; nothing is stored for an invalid report.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Mapping

from ... import limits, timestamps
from ...config import settings
from ...paging import MAX_INTEGER
from ..model import Report, canonical_json, containing_class
from . import identity


class InvalidReport(ValueError):
    pass


class TooLarge(InvalidReport):
    """Past a write bound: answered 413 (docs/security.md)."""


class TooManyEvents(TooLarge):
    """More resource events than max_report_events."""

    def __init__(self, cap: int):
        super().__init__(f"the report has more than {cap} resource events")


def _is_object(value) -> bool:
    """A JSON object: a dict first (what json.loads gives; a plain type check), any
    Mapping else. `isinstance(x, typing.Mapping)` alone is an ABC check, and was a third
    of the parsing cost at ~10 checks per event (docs/performance.md)."""
    return isinstance(value, dict) or isinstance(value, Mapping)


def _require(mapping: Mapping, key: str, kinds, nullable: bool = False, non_empty: bool = False):
    if not _is_object(mapping) or key not in mapping:
        raise InvalidReport(f"missing required key '{key}'")
    value = mapping[key]
    if value is None and nullable:
        return None
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in _tuple(kinds) \
            or non_empty and not value:
        raise InvalidReport(f"invalid value for '{key}': {value!r}")
    return value


def _tuple(kinds):
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _time(mapping: Mapping, key: str) -> str:
    try:
        # PuppetDB keeps times to the millisecond (Joda): so do we, or a time sent with
        # microseconds would be answered as one it does not equal (tests/conformance).
        return timestamps.stored_millis(_require(mapping, key, str))
    except timestamps.InvalidTimestamp:
        raise InvalidReport(f"invalid timestamp for '{key}': {mapping[key]!r}") from None


def _path(value) -> list | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise InvalidReport("containment path must be a list of strings")
    return value


def _json_or_null(value) -> str | None:
    return None if value is None else canonical_json(value)


def _event(report_hash: str, certname: str, config: str | None, seq: int, resource: Mapping,
           event: Mapping | None, key, shared: Mapping | None = None) -> dict:
    path = _path(resource.get(key("containment_path")))
    line = resource.get("line")
    if line is not None and (not isinstance(line, int) or isinstance(line, bool)
                             or abs(line) > MAX_INTEGER):
        raise InvalidReport(f"invalid value for 'line': {line!r}")
    source = event or {}
    return {
        "certname": certname, "configuration_version": config, "report": report_hash,
        "seq": seq,
        "status": "skipped" if event is None else _require(source, "status", str, non_empty=True),
        "timestamp": _time(source if event is not None else resource, "timestamp"),
        "resource_type": _require(resource, key("resource_type"), str, non_empty=True),
        "resource_title": _require(resource, key("resource_title"), str),
        "property": None if event is None else _require(source, "property", str, True),
        "new_value": None if event is None else _json_or_null(source.get(key("new_value"))),
        "old_value": None if event is None else _json_or_null(source.get(key("old_value"))),
        "message": None if event is None else _require(source, "message", str, True),
        "file": _require(resource, "file", str, True) if "file" in resource else None,
        "line": line,
        "containment_path": None if path is None else canonical_json(path),
        "containing_class": containing_class(path),
        "name": None if event is None else _optional(source, "name", str),
        "corrective_change": _optional(source if event is not None else resource,
                                       "corrective_change", bool),
        # report-level (v4 run_start_time, ...): `shared` is the same for every event
        "environment": None, "run_start_time": None, "run_end_time": None,
        "report_receive_time": None, **(shared or {}),
    }


def _optional(mapping: Mapping, key: str, kinds):
    """A key the wire format may leave out; present, it must have the right type."""
    value = mapping.get(key)
    if value is not None and not isinstance(value, kinds):
        raise InvalidReport(f"invalid value for '{key}': {value!r}")
    return value


def _optional_time(mapping: Mapping, key: str) -> str | None:
    return None if mapping.get(key) is None else _time(mapping, key)


def _json_details(value, key: str) -> str:
    if value is None:
        return canonical_json([])
    if not isinstance(value, list) or not all(_is_object(i) for i in value):
        raise InvalidReport(f"invalid value for '{key}': expected a list of objects")
    return canonical_json(value)


def _summary(body: Mapping, key, report_hash: str, received: str, **known) -> dict:
    """The report-level record (model.REPORT_FIELDS + REPORT_DETAILS)."""
    summary = {
        "hash": report_hash, "certname": body.get(key("certname")),
        "puppet_version": _optional(body, key("puppet_version"), str),
        "report_format": _optional(body, key("report_format"), int),
        "configuration_version": body.get(key("configuration_version")),
        "start_time": _time(body, key("start_time")), "end_time": _time(body, key("end_time")),
        "producer_timestamp": _optional_time(body, key("producer_timestamp")),
        "receive_time": received,
        "transaction_uuid": _optional(body, key("transaction_uuid"), str),
        "catalog_uuid": _optional(body, key("catalog_uuid"), str),
        "code_id": _optional(body, key("code_id"), str),
        "job_id": _optional(body, key("job_id"), str),
        "cached_catalog_status": _optional(body, key("cached_catalog_status"), str),
        "producer": _optional(body, key("producer"), str),
        "environment": _optional(body, key("environment"), str),
        "status": _optional(body, key("status"), str),
        "noop": _optional(body, key("noop"), bool),
        "noop_pending": _optional(body, key("noop_pending"), bool),
        "corrective_change": _optional(body, key("corrective_change"), bool),
        "type": _optional(body, key("type"), str) or "agent",   # PDB stores agent by default
        "metrics": _json_details(body.get(key("metrics")), "metrics"),
        "logs": _json_details(_normalised_logs(body.get(key("logs"))), "logs"),
    }
    summary.update(known)
    return summary


def _normalised_logs(logs):
    """Log times are checked, and kept as Puppet sent them: PuppetDB 7 answers them so
    (`2026-11-22T05:06:51.428+00:00`; tests/conformance)."""
    if not isinstance(logs, list):
        return logs
    for log in logs:
        if _is_object(log) and isinstance(log.get("time"), str):
            try:
                timestamps.parse(log["time"])
            except timestamps.InvalidTimestamp:
                raise InvalidReport(f"invalid timestamp for 'time': {log['time']!r}") from None
    return logs


def _shared(summary: Mapping) -> dict:
    return {"environment": summary["environment"], "run_start_time": summary["start_time"],
            "run_end_time": summary["end_time"], "report_receive_time": summary["receive_time"]}


def _hash(parts: list) -> str:
    return hashlib.sha1(canonical_json(parts).encode("utf-8")).hexdigest()


def from_v8(body: object, received: str | None = None) -> Report:
    """A store_report v8 body (notes 2.2). The hash is PuppetDB 7's (identity.py);
    `aliases` holds the id older versions of this service gave it. `received` is the
    receive time (stored form; default now). TooManyEvents past max_report_events,
    InvalidReport for a producer timestamp too far past `received`."""
    if not _is_object(body):
        raise InvalidReport("the report must be a JSON object")
    received = received or timestamps.stored(timestamps.now())
    certname = _require(body, "certname", str, non_empty=True)
    config = _require(body, "configuration_version", str, True)
    produced = _time(body, "producer_timestamp")
    _not_future(produced, received, "producer_timestamp")
    fields = {"certname": certname, "puppet_version": body.get("puppet_version"),
              "report_format": body.get("report_format"), "configuration_version": config,
              "start_time": _time(body, "start_time"), "end_time": _time(body, "end_time"),
              "producer_timestamp": produced, "transaction_uuid": body.get("transaction_uuid")}
    report_hash = identity.report_hash(fields)
    same = lambda k: k  # noqa: E731 - v8 keys are already underscored
    summary = _summary(body, same, report_hash, timestamps.stored_millis(received))
    shared = _shared(summary)
    resources = _require(body, "resources", list)
    _within_cap(sum(1 if _is_object(r) and r.get("skipped") is True
                    else len(r.get("events") or ()) if _is_object(r) else 0
                    for r in resources))
    events: list[dict] = []
    for resource in resources:
        if not _is_object(resource):
            raise InvalidReport("every resource must be an object")
        if resource.get("skipped") is True:
            events.append(_event(report_hash, certname, config, len(events), resource, None,
                                 same, shared))
            continue
        for event in _require(resource, "events", list):
            events.append(_event(report_hash, certname, config, len(events), resource, event,
                                 same, shared))
    _storable(certname, summary.get("environment"), events)
    return Report(report_hash, certname, config, produced, tuple(events), summary,
                  aliases=(identity.legacy_hash(fields),))


def _storable(certname: str, environment: str | None, events: list[dict]) -> None:
    """The values the stores key by within the key rule (limits.key_problem), and each
    event within the record rule (limits.record_problem: TooLarge, 413)."""
    values = [("certname", certname), ("environment", environment)]
    values += [("resource_type", t) for t in {e["resource_type"] for e in events}]
    values += [("status", s) for s in {e["status"] for e in events}]
    for what, value in values:
        problem = value is not None and limits.key_problem(value, what)
        if problem:
            raise InvalidReport(problem)
    for event in events:
        problem = limits.record_problem(limits.text_bytes(event), f"resource event {event['seq']}")
        if problem:
            raise TooLarge(problem)


def _within_cap(count: int) -> None:
    """Counted before any event is built, so a refused report costs one pass over
    its resources (docs/security.md, "Write bounds")."""
    cap = settings().max_report_events
    if count > cap:
        raise TooManyEvents(cap)


def _not_future(stamp: str, received: str, key: str) -> None:
    """Refuse a time that decides the latest report when it is further past the receive
    time than max_future_seconds: stored, it would stay the node's latest until that
    time. Refused, not clamped: clamping would store a time Puppet never sent and
    change the report's PuppetDB hash, and it would hide the producer's clock fault
    (docs/security.md, "Write bounds"). PuppetDB itself has no such check."""
    allowed = settings().max_future_seconds
    if timestamps.parse(stamp) - timestamps.parse(received) > timedelta(seconds=allowed):
        raise InvalidReport(f"'{key}' {stamp} is more than {allowed} seconds after the "
                            f"receive time {received}")


def from_v2(payload: object, received: str | None = None) -> Report:
    """A 1.4 "store report" v2 payload: dashed keys, a flat event list (notes 2.1)."""
    if not _is_object(payload):
        raise InvalidReport("the report must be a JSON object")
    dashed = lambda k: k.replace("_", "-")  # noqa: E731
    received = received or timestamps.stored(timestamps.now())
    certname = _require(payload, "certname", str, non_empty=True)
    config = _require(payload, "configuration-version", str, True)
    start, end = _time(payload, "start-time"), _time(payload, "end-time")
    _not_future(end, received, "end-time")     # v2's latest key (model.Report)
    raw_events = _require(payload, "resource-events", list)
    _within_cap(len(raw_events))
    parts = [certname, payload.get("puppet-version"), payload.get("report-format"), config,
             start, end, payload.get("transaction-uuid"),
             sorted(canonical_json(e) for e in raw_events)]
    report_hash = _hash(parts)
    summary = _summary(payload, dashed, report_hash, timestamps.stored_millis(received))
    shared = _shared(summary)
    events = []
    for event in raw_events:
        if not _is_object(event):
            raise InvalidReport("every resource event must be an object")
        for key in ("status", "timestamp", "resource-type", "resource-title", "property",
                    "new-value", "old-value", "message"):
            if key not in event:
                raise InvalidReport(f"missing required key '{key}'")
        merged = {**event, "events": None}
        record = _event(report_hash, certname, config, len(events), merged, _v2_event(event),
                        dashed, shared)
        events.append(record)
    _storable(certname, summary.get("environment"), events)
    return Report(report_hash, certname, config, end, tuple(events), summary)


def _v2_event(event: Mapping) -> dict:
    return {"status": event["status"], "timestamp": event["timestamp"],
            "property": event["property"], "new-value": event["new-value"],
            "old-value": event["old-value"], "message": event["message"]}
