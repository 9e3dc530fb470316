"""Nodes: the latest-report summary kept per node on write, and node state.

PuppetDB 7 derives a node from its certname row and its latest report
(query_eng/engine.clj nodes-query: `report_timestamp` is the latest report's
`end_time`, the status, noop flags, job id, environment and cached catalog status
are that report's). The service keeps that row on write, with the event counts
of the latest report by status (issue 15), so node listings and latest-report
counts read one row (SQLite) or item (DynamoDB) per node.

Node state follows PuppetDB's scf/storage.clj: `deactivate node` sets
`deactivated` unless a newer report exists (deactivate-node!), and a report whose
producer time is later than `deactivated`/`expired` clears both
(maybe-activate-node!).
"""
from __future__ import annotations

from collections import Counter
from typing import Mapping

from .model import Report

# The summary as the port returns it: PuppetDB 7's node field names where it has
# them (stored timestamp form), then the latest report's producer time and its
# event counts by status (catalogue.COUNT_COLUMNS' names).
NODE_FIELDS = ("certname", "deactivated", "expired", "latest_report_hash",
               "latest_report_status", "latest_report_noop", "latest_report_noop_pending",
               "latest_report_corrective_change", "latest_report_job_id",
               "cached_catalog_status", "report_timestamp", "report_environment",
               "latest_report_producer_timestamp",
               "successes", "failures", "noops", "skips")
NODE_BOOLEANS = ("latest_report_noop", "latest_report_noop_pending",
                 "latest_report_corrective_change")
# Summary fields written with each new latest report (all but certname and state).
LATEST_FIELDS = tuple(n for n in NODE_FIELDS if n not in ("certname", "deactivated", "expired"))
COUNT_FIELDS = ("successes", "failures", "noops", "skips")
# Event status -> count field (PDB query/event_counts.clj).
STATUS_COUNTS = {"success": "successes", "failure": "failures", "noop": "noops",
                 "skipped": "skips"}

# The report fields the summary copies, by node field.
FROM_REPORT = {"latest_report_status": "status", "latest_report_noop": "noop",
                "latest_report_noop_pending": "noop_pending",
                "latest_report_corrective_change": "corrective_change",
                "latest_report_job_id": "job_id",
                "cached_catalog_status": "cached_catalog_status",
                "report_timestamp": "end_time", "report_environment": "environment",
                "latest_report_producer_timestamp": "producer_timestamp"}


def latest_summary(report: Report) -> dict:
    """The LATEST_FIELDS of a node whose latest report is `report`."""
    fields = {"latest_report_hash": report.hash}
    fields.update({name: report.summary.get(source) for name, source in FROM_REPORT.items()})
    counts = Counter(STATUS_COUNTS.get(e.get("status")) for e in report.events)
    fields.update({name: counts.get(name, 0) for name in COUNT_FIELDS})
    return fields


def counts_by_status(rows: Mapping[str, int]) -> dict:
    """{event status: n} -> the four count fields (absent statuses count 0)."""
    return {STATUS_COUNTS[s]: n for s, n in rows.items() if s in STATUS_COUNTS}


def reactivates(state: Mapping[str, object], producer_time: str) -> bool:
    """Whether a report produced at `producer_time` (stored form) makes the node
    active again: PuppetDB's maybe-activate-node! keeps a node deactivated or
    expired at a later time, and reactivates one deactivated or expired before."""
    deactivated, expired = state.get("deactivated"), state.get("expired")
    if (deactivated and deactivated > producer_time) or (expired and expired > producer_time):
        return False
    return bool((deactivated and deactivated < producer_time)
                or (expired and expired < producer_time))
