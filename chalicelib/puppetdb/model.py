"""PuppetDB resource events: the domain records and the field catalogue.

Stored event fields use the AST's snake_case names (DESIGN.md "PuppetDB").
old/new values and containment paths are kept as canonical JSON text, so `=`
compares JSON (../shared/notes/puppetdb.md 1.2).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

# Every stored event attribute, in PuppetDB's response order (notes 1.7), plus `seq`.
EVENT_FIELDS = ("certname", "configuration_version", "report", "status", "timestamp",
                "resource_type", "resource_title", "property", "new_value", "old_value",
                "message", "file", "line", "containment_path", "containing_class")

# Orderable fields (notes 1.6: underscored names).
ORDER_FIELDS = EVENT_FIELDS

# Default order (notes 1.7): timestamp descending; ties broken by report and position.
TIEBREAK = (("report", "asc"), ("seq", "asc"))
DEFAULT_ORDER = (("timestamp", "desc"),)


def canonical_json(value: object) -> str:
    """The JSON text values are stored and compared as (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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


def full_order(keys) -> tuple[tuple[str, str], ...]:
    """The requested order plus the stable tiebreak."""
    keys = tuple(keys) or DEFAULT_ORDER
    return keys + tuple(k for k in TIEBREAK if k[0] not in {n for n, _ in keys})
