"""Orchestrator figures: ingest rate, query latency against the raw-SQL floor,
and DynamoDB reads per item returned."""
from __future__ import annotations

import random
import sqlite3
import time

from chalicelib import timestamps
from chalicelib.orchestrator.model import NewJob, NewJobEvent
from chalicelib.query.ast import EVERYTHING

from .timing import percentiles


def _job(rng: random.Random, nodes: int) -> NewJob:
    return NewJob(type=rng.choice(["deploy", "task"]), environment=rng.choice(["production", "dev"]),
                  owner_id="u", owner_login=rng.choice(["admin", "ops", "dev"]), description="bench",
                  nodes=tuple(f"node{i:05d}.example.com" for i in range(nodes)), options={},
                  timestamp=timestamps.stored(timestamps.now()))


def _events(job: NewJob, count: int, rng: random.Random) -> list[NewJobEvent]:
    now = timestamps.stored(timestamps.now())
    return [NewJobEvent("node_running", now, {"node": rng.choice(job.nodes), "detail": {"noop": False}},
                        "Started puppet run") for _ in range(count)]


def load(store, jobs: int, events_per_job: int, seed: int = 7) -> dict:
    """Create jobs and append events in batches of 40; returns the ingest figures."""
    rng = random.Random(seed)
    started = time.perf_counter()
    requests = 0
    for _ in range(jobs):
        spec = _job(rng, nodes=20)
        job = store.create_job(spec)
        requests += 1
        remaining = events_per_job
        while remaining:
            batch = min(40, remaining)
            store.append_job_events(job.number, _events(spec, batch, rng))
            requests += 1
            remaining -= batch
    elapsed = time.perf_counter() - started
    return {"jobs": jobs, "events": jobs * events_per_job, "write requests": requests,
            "seconds": round(elapsed, 2), "events/s": round(jobs * events_per_job / elapsed)}


def sqlite_latency(store, path: str, jobs: int, repeat: int) -> list[dict]:
    """p50/p95 of the port's reads, next to the same SQL run directly (the floor)."""
    raw = sqlite3.connect(path)
    deep = jobs // 2
    (middle,) = raw.execute("SELECT id FROM job_events WHERE job = ? ORDER BY id LIMIT 1 OFFSET ?",
                            [deep, 100]).fetchone() or (0,)
    cases = [
        ("events page, start deep in a job",
         lambda: store.job_events(deep, middle, 1000),
         lambda: raw.execute("SELECT * FROM job_events WHERE job = ? AND id >= ? ORDER BY id LIMIT 1000",
                             [deep, middle]).fetchall()),
        ("/jobs page (limit 20, offset 100, by name)",
         lambda: store.list_jobs(EVERYTHING, "name", "asc", 20, 100),
         lambda: (raw.execute("SELECT count(*) FROM jobs").fetchone(),
                  raw.execute("SELECT * FROM jobs ORDER BY number LIMIT 20 OFFSET 100").fetchall())),
        ("/jobs page by owner desc",
         lambda: store.list_jobs(EVERYTHING, "owner", "desc", 20, 0),
         lambda: (raw.execute("SELECT count(*) FROM jobs").fetchone(),
                  raw.execute("SELECT * FROM jobs ORDER BY owner_login DESC, number DESC LIMIT 20").fetchall())),
    ]
    rows = []
    for name, port_call, floor_call in cases:
        port = percentiles(port_call, repeat)
        floor = percentiles(floor_call, repeat)
        rows.append({"query": name, "port p50 ms": port[0], "port p95 ms": port[1],
                     "floor p50 ms": floor[0], "ratio p50": round(port[0] / floor[0], 2) if floor[0] else None})
    return rows


def dynamodb_reads(store, jobs: int) -> list[dict]:
    """Items read per item returned for each orchestrator access pattern (docs/dynamodb.md)."""
    from chalicelib.storage.dynamodb.runner import Runner
    client = store.client
    counted = {"ScannedCount": 0, "calls": 0}

    def count(**kwargs):
        response = original(**kwargs)
        counted["ScannedCount"] += response.get("ScannedCount", len(response.get("Items", [])))
        counted["calls"] += 1
        return response
    original = client.query
    client.query = count
    rows = []
    try:
        for name, call, returned in (
                ("events page (job, start)", lambda: store.job_events(jobs // 2, 0, 1000), None),
                ("/jobs page by name (20 after offset 0)", lambda: store.list_jobs(EVERYTHING, "name", "asc", 20, 0), 20),
                ("/jobs page by state (20 after offset 100)", lambda: store.list_jobs(EVERYTHING, "state", "asc", 20, 100), 20)):
            counted.update(ScannedCount=0, calls=0)
            result = call()
            got = len(result) if returned is None else len(result.items)
            rows.append({"pattern": name, "returned": got, "items read": counted["ScannedCount"],
                         "queries": counted["calls"],
                         "read per returned": round(counted["ScannedCount"] / got, 2) if got else None})
    finally:
        client.query = original
    del Runner
    return rows
