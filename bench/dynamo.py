"""DynamoDB (moto) figures: items read (ScannedCount) per item returned and requests
per page, for every read pattern of docs/dynamodb.md. Time is not measured: moto is
an in-process fake whose speed says nothing about DynamoDB's."""
from __future__ import annotations

import json
from collections import Counter

from . import load
from .mix import Case

OPERATIONS = ("query", "scan", "get_item", "batch_get_item")


class Counted:
    """Wraps the client's read operations and counts requests and items read:
    `page` = ScannedCount of the Queries/Scans that fetch items, `count` = ScannedCount
    of the Select=COUNT Queries behind totals, `lookups` = items of GetItem/BatchGetItem
    (counters, the registry, report commit items)."""

    def __init__(self, client):
        self.client = client
        self.originals = {name: getattr(client, name) for name in OPERATIONS}
        self.calls: Counter = Counter()
        self.page = self.count = self.lookups = 0
        for name in OPERATIONS:
            setattr(client, name, self._wrap(name))

    def _wrap(self, name):
        original = self.originals[name]

        def call(**kwargs):
            response = original(**kwargs)
            counting = kwargs.get("Select") == "COUNT"
            self.calls[name + (" COUNT" if counting else "")] += 1
            if name in ("query", "scan"):
                scanned = response.get("ScannedCount", len(response.get("Items", [])))
                if counting:
                    self.count += scanned
                else:
                    self.page += scanned
            elif name == "get_item":
                self.lookups += 1 if "Item" in response else 0
            else:
                self.lookups += sum(len(v) for v in response.get("Responses", {}).values())
            return response
        return call

    def reset(self):
        self.calls.clear()
        self.page = self.count = self.lookups = 0

    def close(self):
        for name, original in self.originals.items():
            setattr(self.client, name, original)


def patterns(reports: list, commits: list, jobs: int) -> list[tuple[Case, bool]]:
    """(case, indexed) for each documented pattern; `indexed` = the <= 1.25 target applies."""
    report = reports[len(reports) // 2]
    q = lambda query, **extra: {"query": json.dumps(query), **extra}   # noqa: E731
    pdb = "/experimental/events"
    middle = commits[len(commits) // 2]
    obj = middle.objects[0]
    found = [
        (Case("puppetdb", "report hash", pdb, q(["=", "report", report.hash]), True), True),
        (Case("puppetdb", "report hash + time bound", pdb,
              q(["and", ["=", "report", report.hash], [">=", "timestamp", report.events[0]["timestamp"]]]), True), True),
        (Case("puppetdb", "latest-report (CERTNAMES, then per hash)", pdb, q(["=", "latest-report", True]), True), True),
        (Case("puppetdb", "certname (GSI)", pdb, q(["=", "certname", report.certname]), True), True),
        (Case("puppetdb", "status=failure (GSI)", pdb, q(["=", "status", "failure"]), True), True),
        (Case("puppetdb", "resource-type=Service (GSI)", pdb, q(["=", "resource-type", "Service"]), True), True),
        (Case("puppetdb", "certname + not status (GSI + filter)", pdb,
              q(["and", ["=", "certname", report.certname], ["not", ["=", "status", "success"]]]), True), False),
        (Case("puppetdb", "or of two certnames (union)", pdb,
              q(["or", ["=", "certname", report.certname], ["=", "certname", reports[0].certname]]), True), True),
        (Case("puppetdb", "time range only (Scan)", pdb,
              q([">=", "timestamp", report.events[0]["timestamp"]]), False), False),
        (Case("puppetdb", "regex on title (Scan + residual)", pdb, q(["~", "resource-title", "^/etc"]), False), False),
        (Case("activity v1", "by service, limit 100", "/activity-api/v1/events",
              {"service_id": middle.service_id, "limit": "100"}, True), True),
        (Case("activity v1", "classifier, offset 50, limit 50 (key range)", "/activity-api/v1/events",
              {"service_id": "classifier", "limit": "50", "offset": "50"}, True), True),
        (Case("activity v1", "by object", "/activity-api/v1/events",
              {"service_id": middle.service_id, "object_type": obj.type, "object_id": obj.id}, True), True),
        (Case("activity v1", "object_type alone, limit 100", "/activity-api/v1/events",
              {"service_id": middle.service_id, "object_type": obj.type, "limit": "100"}, True), True),
        (Case("activity v2", "by subject (GSI), limit 100", "/activity-api/v2/events",
              {"query": json.dumps([{"subject_id": middle.subject.id}]), "limit": "100"}, True), True),
        (Case("activity v2", "all services, limit 100", "/activity-api/v2/events", {"limit": "100"}, True), True),
        (Case("activity v2", "all services, offset 500, limit 100", "/activity-api/v2/events",
              {"limit": "100", "offset": "500"}, True), False),
        (Case("activity v2", "time range, all services", "/activity-api/v2/events",
              {"query": json.dumps([{"start": commits[len(commits) // 3].timestamp, "end": commits[min(len(commits) - 1, len(commits) // 3 + 20)].timestamp}])}, True), False),
        (Case("orchestrator", "events page", f"/orchestrator/v1/jobs/{jobs // 2}/events", {"start": "0"}, True), True),
        (Case("orchestrator", "/jobs by name, limit 20", "/orchestrator/v1/jobs", {"limit": "20"}, True), True),
        (Case("orchestrator", "/jobs by state, offset 20, limit 20", "/orchestrator/v1/jobs",
              {"order_by": "state", "limit": "20", "offset": "20"}, True), False),
        (Case("orchestrator", "/jobs type=task, limit 20", "/orchestrator/v1/jobs",
              {"type": "task", "limit": "20"}, True), False),
    ]
    return found


def run(store, events: int, commits: int, jobs: int, job_events: int) -> dict:
    from chalicelib.puppetdb.ingest import reports as parse
    from . import datasets
    stored_reports = [parse.from_v8(b) for b in datasets.reports(events, nodes=max(10, events // 100))]
    for report in stored_reports:
        store.store_report(report)
    stored_commits = list(datasets.commits(commits))
    for commit in stored_commits:
        store.add_commit(commit)
    load.orchestrator(store, jobs, job_events)
    counted = Counted(store.client)
    rows = []
    try:
        for case, indexed in patterns(stored_reports, stored_commits, jobs):
            call = case.port(store)
            counted.reset()
            result = call()
            returned = len(result.items if hasattr(result, "items") else result)
            per = round(counted.page / returned, 2) if returned else None
            scanned = any(k.startswith("scan") for k in counted.calls)
            rows.append({"api": case.api, "pattern": case.name, "returned": returned,
                         "page reads": counted.page, "count reads": counted.count,
                         "key lookups": counted.lookups,
                         "requests": ", ".join(f"{n} {k}" for k, n in sorted(counted.calls.items())),
                         "page reads per returned": per, "indexed": indexed,
                         "target <= 1.25, no Scan": ("n/a" if not indexed else
                                                     "met" if per is not None and per <= 1.25 and not scanned
                                                     else "MISSED")})
    finally:
        counted.close()
    return {"items": {"pdb events": events, "commits": commits, "jobs": jobs, "job events": job_events},
            "patterns": rows}
