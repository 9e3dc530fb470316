"""PuppetDB resource events: the domain records (the fields are in catalogue.py).

Stored event fields use the AST's snake_case names (DESIGN.md "PuppetDB").
old/new values and containment paths are kept as canonical JSON text, so `=`
compares JSON (../shared/notes/puppetdb.md 1.2).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping


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
    events: tuple[Mapping[str, object], ...]   # dicts keyed by catalogue.EVENT_FIELDS + "seq"
    # catalogue.REPORT_FIELDS + REPORT_DETAILS (None where the wire format has no such key)
    summary: Mapping[str, object] = field(default_factory=dict)
    # Ids an older version gave this same report (puppetdb/ingest/identity.py legacy_hash):
    # a report stored under one of them is a duplicate too.
    aliases: tuple[str, ...] = ()
