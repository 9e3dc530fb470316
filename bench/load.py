"""Loading the data sets through the storage port's write path, and the ingest figures."""
from __future__ import annotations

import contextlib
import copy
import json
import time
import uuid
from datetime import datetime, timedelta

from chalicelib.puppetdb.ingest import reports

from . import datasets

BULK_REPORTS = 500       # reports per bulk transaction
BULK_COMMITS = 2000
BULK_JOBS = 20


def _bulk(store):
    """One transaction for many writes where the adapter offers it (SQLite)."""
    return store.bulk() if hasattr(store, "bulk") else contextlib.nullcontext()


def puppetdb(store, total_events: int, already: int = 0) -> dict:
    """Load reports until `total_events` are stored (continuing a data set of `already`
    events: the generator is replayed and the stored prefix skipped). Parsing (from_v8)
    and storing are timed apart."""
    parse = store_seconds = 0.0
    stored_events = 0
    batch: list = []
    seen = 0

    def flush():
        nonlocal store_seconds
        started = time.perf_counter()
        with _bulk(store):
            for report in batch:
                store.store_report(report)
        store_seconds += time.perf_counter() - started
        batch.clear()

    for body in datasets.reports(total_events):
        size = len(body["resources"])
        seen += size
        if seen <= already:
            continue
        started = time.perf_counter()
        batch.append(reports.from_v8(body))
        parse += time.perf_counter() - started
        stored_events += sum(len(r["events"]) or 1 for r in body["resources"])
        if len(batch) == BULK_REPORTS:
            flush()
    if batch:
        flush()
    return {"events": stored_events, "parse s": round(parse, 1), "store s": round(store_seconds, 1),
            "events/s stored": round(stored_events / store_seconds) if store_seconds else None}


REPORT_INTERVAL = timedelta(seconds=2)


def fixture_bodies(count: int) -> list[dict]:
    """`count` distinct reports shaped exactly like the fixtures (6 real Puppet runs),
    arriving as a live stream does: copy i has every time of its fixture moved on by
    i * REPORT_INTERVAL. (Copies that kept the fixtures' own times inserted each event
    mid-way into the time-ordered indexes: ~95 pages written per report, not ~45.)"""
    bodies = [json.loads(p.read_text())["body"] for p in sorted(datasets.FIXTURES.glob("*.json"))]
    made = []
    for i in range(count):
        body = _shifted(bodies[i % len(bodies)], i * REPORT_INTERVAL)
        body["certname"] = body["producer"] = datasets.certname(i)
        body["transaction_uuid"] = str(uuid.UUID(int=i + 1))
        made.append(body)
    return made


def _later(text: str, by: timedelta) -> str:
    return (datetime.fromisoformat(text) + by).isoformat(timespec="milliseconds")


def _shifted(body: dict, by: timedelta) -> dict:
    """A copy of a v8 body with its report, resource, event and log times moved on."""
    body = copy.deepcopy(body)
    for key in ("start_time", "end_time", "producer_timestamp"):
        body[key] = _later(body[key], by)
    for resource in body["resources"]:
        resource["timestamp"] = _later(resource["timestamp"], by)
        for event in resource.get("events") or ():
            event["timestamp"] = _later(event["timestamp"], by)
    for log in body.get("logs") or ():
        log["time"] = _later(log["time"], by)
    return body


def report_ingest(store, count: int) -> dict:
    """store_report in process: from_v8 + the port's store_report, one transaction each."""
    bodies = fixture_bodies(count)
    events = 0
    started = time.perf_counter()
    for body in bodies:
        report = reports.from_v8(body)
        store.store_report(report)
        events += len(report.events)
    elapsed = time.perf_counter() - started
    return {"reports": count, "events per report": round(events / count, 1),
            "reports/s": round(count / elapsed)}


def report_ingest_http(new_session, base: str, count: int) -> dict:
    bodies = fixture_bodies(count)
    started = time.perf_counter()
    for body in bodies:
        with new_session() as session:
            response = session.post(
                base + "/pdb/cmd/v1", data=json.dumps(body),
                params={"command": "store_report", "version": "8", "certname": body["certname"],
                        "producer-timestamp": body["producer_timestamp"]},
                headers={"Content-Type": "application/json"})
        response.raise_for_status()
    elapsed = time.perf_counter() - started
    return {"reports": count, "reports/s": round(count / elapsed)}


def activity(store, total: int) -> dict:
    started = time.perf_counter()
    batch = []
    for commit in datasets.commits(total):
        batch.append(commit)
        if len(batch) == BULK_COMMITS:
            with _bulk(store):
                for c in batch:
                    store.add_commit(c)
            batch.clear()
    with _bulk(store):
        for c in batch:
            store.add_commit(c)
    elapsed = time.perf_counter() - started
    return {"commits": total, "seconds": round(elapsed, 1), "commits/s": round(total / elapsed)}


def orchestrator(store, jobs: int, events: int) -> dict:
    """Jobs created and their events appended 40 a request (the API's maximum)."""
    started = time.perf_counter()
    requests = 0
    pending = []

    def flush():
        nonlocal requests
        with _bulk(store):
            for spec, batches in pending:
                job = store.create_job(spec)
                requests += 1
                for batch in batches:
                    store.append_job_events(job.number, batch)
                    requests += 1
        pending.clear()

    for item in datasets.jobs(jobs, events):
        pending.append(item)
        if len(pending) == BULK_JOBS:
            flush()
    flush()
    elapsed = time.perf_counter() - started
    return {"jobs": jobs, "write requests": requests, "seconds": round(elapsed, 1),
            "requests/s": round(requests / elapsed)}
