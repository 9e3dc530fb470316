"""Response shapes (../shared/notes/puppetdb.md 1.7): dashed keys, UTC millisecond
timestamps, old/new values and containment paths decoded from stored JSON."""
from __future__ import annotations

import json

from .. import timestamps


def event(record: dict) -> dict:
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
