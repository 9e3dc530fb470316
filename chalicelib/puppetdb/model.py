"""PuppetDB resource events: the domain records and the field catalogue.

Stored event fields use the AST's snake_case names (DESIGN.md "PuppetDB").
old/new values and containment paths are kept as canonical JSON text, so `=`
compares JSON (../shared/notes/puppetdb.md 1.2).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping

# The event attributes of PuppetDB 1.4, in its response order (notes 1.7).
V1_EVENT_FIELDS = ("certname", "configuration_version", "report", "status", "timestamp",
                   "resource_type", "resource_title", "property", "new_value", "old_value",
                   "message", "file", "line", "containment_path", "containing_class")
# v4 adds these (notes 3); the report-level ones are copied onto every event so
# both adapters filter on them like any other attribute.
V4_EVENT_EXTRAS = ("name", "corrective_change", "environment", "run_start_time",
                   "run_end_time", "report_receive_time")
# Every stored event attribute (plus `seq`, its position in the report).
EVENT_FIELDS = V1_EVENT_FIELDS + V4_EVENT_EXTRAS

# Orderable fields of /experimental/events (notes 1.6: underscored names).
ORDER_FIELDS = V1_EVENT_FIELDS

# Report-level attributes (PuppetDB 7 reports entity, notes 3 and 5.1). `metrics`
# and `logs` are kept as canonical JSON text; timestamps in stored form.
REPORT_FIELDS = ("hash", "certname", "puppet_version", "report_format", "configuration_version",
                 "start_time", "end_time", "producer_timestamp", "receive_time",
                 "transaction_uuid", "catalog_uuid", "code_id", "job_id",
                 "cached_catalog_status", "producer", "environment", "status", "noop",
                 "noop_pending", "corrective_change", "type")
REPORT_DETAILS = ("metrics", "logs")

# Default order (notes 1.7): timestamp descending; ties broken by report and position.
TIEBREAK = (("report", "asc"), ("seq", "asc"))
DEFAULT_ORDER = (("timestamp", "desc"),)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: object) -> str:
    """The JSON text values are stored and compared as (sorted keys, no spaces).
    One shared encoder: json.dumps with options builds a new one on every call."""
    return _CANONICAL.encode(value)


def containing_class(path) -> str | None:
    """PuppetDB's find-containing-class: from the end, skip "" and resources (notes 1.2)."""
    for item in reversed(path or ()):
        if item and "[" not in item:
            return item
    return None


@dataclass(frozen=True)
class Report:
    """One stored report: its hash, node, and the key that decides the latest report
    (producer timestamp for v8, end time for v2; stored timestamp form)."""
    hash: str
    certname: str
    configuration_version: str | None
    latest_key: str
    events: tuple[Mapping[str, object], ...]   # dicts keyed by EVENT_FIELDS + "seq"
    # REPORT_FIELDS + REPORT_DETAILS (None where the wire format has no such key)
    summary: Mapping[str, object] = field(default_factory=dict)
    # Ids an older version gave this same report (puppetdb/identity.py legacy_hash):
    # a report stored under one of them is a duplicate too.
    aliases: tuple[str, ...] = ()


def full_order(keys) -> tuple[tuple[str, str], ...]:
    """The requested order plus the stable tiebreak."""
    keys = tuple(keys) or DEFAULT_ORDER
    return keys + tuple(k for k in TIEBREAK if k[0] not in {n for n, _ in keys})
