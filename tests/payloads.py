"""Request bodies of the three write APIs, each marked so a test can find it again
(fault and concurrency tests: what was acknowledged must be stored, whole, once)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from tests.factories import job_payload

__all__ = ["job_payload", "job_events", "commit", "report", "report_path", "JSON", "PDB_BASIC"]

JSON = {"Content-Type": "application/json; charset=utf-8"}


def job_events(marker: str, count: int = 2, node: str = "a.example.com") -> dict:
    """`count` node_running events whose messages are `<marker>/<i>`."""
    return {"events": [{"type": "node_running", "message": f"{marker}/{i}",
                        "details": {"node": node, "detail": {"noop": False}}}
                       for i in range(count)]}


def commit(marker: str, service: str = "faults", events: int = 2) -> dict:
    """An activity commit of `events` events; its subject id is `marker`."""
    return {"commit": {"service": {"id": service},
                       "subject": {"id": marker, "name": marker, "type": "users"},
                       "objects": [{"id": "g1", "name": "group one", "type": "node_groups"}],
                       "ip_address": "10.0.0.1",
                       "events": [{"type": "edit", "what": "node_group", "description": "edit",
                                   "message": f"{marker}/{i}"} for i in range(events)]}}


def report(certname: str, run: int, events: int = 3) -> dict:
    """A store_report v8 body (Puppet's shape, trimmed) with `events` resource
    events; the run number makes its hash distinct."""
    second = f"{run % 60:02d}"
    minute = f"{run // 60 % 60:02d}"
    stamp = f"2026-11-22T{run // 3600 % 24:02d}:{minute}:{second}.000Z"
    return {
        "certname": certname, "puppet_version": "7.23.0", "report_format": 12,
        "configuration_version": f"run-{run}", "producer_timestamp": stamp,
        "start_time": stamp, "end_time": stamp, "environment": "production",
        "transaction_uuid": f"00000000-0000-0000-0000-{run:012d}", "status": "changed",
        "resources": [{
            "skipped": False, "timestamp": stamp, "resource_type": "File",
            "resource_title": f"/tmp/{certname}/{run}/{i}", "file": "site.pp", "line": i + 1,
            "containment_path": ["Stage[main]", "Main", f"File[/tmp/{certname}/{run}/{i}]"],
            "events": [{"status": "success", "timestamp": stamp, "property": "ensure",
                        "new_value": "file", "old_value": "absent", "message": f"run {run}"}],
        } for i in range(events)],
    }


def report_path(certname: str) -> str:
    return "/pdb/cmd/v1?" + urlencode({"command": "store_report", "version": "8",
                                       "certname": certname})


def report_bytes(certname: str, run: int, events: int = 3) -> bytes:
    return json.dumps(report(certname, run, events)).encode("utf-8")


# PDB 7.12 test/puppetlabs/puppetdb/examples/reports.clj :basic (its identity fields).
PDB_BASIC = {"certname": "foo.local", "puppet_version": "3.0.1", "report_format": 4,
             "transaction_uuid": "68b08e2a-eeb1-4322-b241-bfdf151d294b",
             "configuration_version": "a81jasj123", "start_time": "2011-01-01T12:00:00-03:00",
             "end_time": "2011-01-01T12:10:00-03:00",
             "producer_timestamp": "2011-01-01T12:11:00-03:00", "resources": []}
