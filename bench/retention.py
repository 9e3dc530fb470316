"""The retention figures of issue 16 (`python -m bench --only retention`, or
`python -m bench.retention [--quick]`), on SQLite:

1. Collection under load: a file holding N expired events (1M in full) while 4
   writer threads keep storing 10-event reports (each one every 20 ms: 200 a second); each writer's store_report latency
   p50/p99 over the same wall time without collection, then during one collection
   pass (the periodic form's pause between batches), and how long the pass took.
2. Steady state: a file holding 15 days of a small fleet (report-ttl 14d), then one
   simulated day: each hour the hour's reports arrive and a collection pass runs.
   File size (and free pages) before and after the day.

Writes bench/results/retention-<size>.json and .md (docs/performance.md quotes them)."""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chalicelib import timestamps
from chalicelib.cli.gc import PAUSE
from chalicelib.puppetdb.ingest import reports
from chalicelib.retention import Policy
from chalicelib.storage.sqlite import SqliteStorage

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parents[1]
SIZES = {
    "quick": dict(expired=20_000, writers=4, events_per_report=100,
                  fleet=(20, 24, 10)),            # nodes, runs a day, events a run
    "full": dict(expired=1_000_000, writers=4, events_per_report=100,
                 fleet=(100, 48, 10)),
}
NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
POLICY = Policy(job_ttl=timedelta(0))
DAY = timedelta(days=1)
# Each writer stores a report every 20 ms: 4 writers make 200 reports a second, 36
# times a 10,000-node fleet's 5.6 (48 runs a day each).
WRITE_EVERY = 0.02


def _template(events: int):
    body = {"certname": "bench.example", "job_id": None, "puppet_version": "7.23.0",
            "report_format": 12, "configuration_version": "1", "environment": "production",
            "producer_timestamp": "2026-11-01T00:00:00.000Z",
            "start_time": "2026-11-01T00:00:00.000Z", "end_time": "2026-11-01T00:00:00.000Z",
            "transaction_uuid": "x", "status": "changed", "noop": False, "noop_pending": False,
            "corrective_change": False, "logs": [], "metrics": [], "catalog_uuid": None,
            "code_id": None, "cached_catalog_status": "not_used", "producer": "bench.example",
            "resources": [{"skipped": False, "timestamp": "2026-11-01T00:00:00.000Z",
                           "resource_type": "File", "resource_title": f"/etc/bench/{i}",
                           "file": "site.pp", "line": i, "containment_path": ["Stage[main]",
                           "Bench", f"File[/etc/bench/{i}]"], "corrective_change": False,
                           "events": [{"status": "success", "timestamp": "2026-11-01T00:00:00.000Z",
                                       "name": "changed", "property": "content",
                                       "new_value": "{md5}a", "old_value": "{md5}b",
                                       "corrective_change": False, "message": "changed"}]}
                          for i in range(events)]}
    return reports.from_v8(body, "2026-11-01T00:00:00.000000Z")


def _copy(template, certname: str, when: datetime, serial: int):
    """The template as another node's report at `when` (a distinct hash)."""
    stamp = timestamps.stored_millis(when)
    digest = hashlib.sha1(f"{certname}{serial}{stamp}".encode()).hexdigest()
    events = tuple({**e, "report": digest, "certname": certname, "timestamp": stamp}
                   for e in template.events)
    summary = {**template.summary, "certname": certname, "producer_timestamp": stamp,
               "start_time": stamp, "end_time": stamp}
    return dataclasses.replace(template, hash=digest, certname=certname, latest_key=stamp,
                               events=events, summary=summary, aliases=())


def _load(store, reports_to_store) -> None:
    batch = []
    for report in reports_to_store:
        batch.append(report)
        if len(batch) == 200:
            with store.bulk():
                for each in batch:
                    store.store_report(each)
            batch = []
    with store.bulk():
        for each in batch:
            store.store_report(each)


_SERIALS = itertools.count(1)      # every writer report distinct, across phases


def _writers(store, count: int, stop: threading.Event, template) -> list[list[float]]:
    samples: list[list[float]] = [[] for _ in range(count)]

    def work(n: int) -> None:
        while not stop.is_set():
            report = _copy(template, f"writer-{n}.example", NOW - timedelta(minutes=1),
                           next(_SERIALS))
            started = time.perf_counter()
            store.store_report(report)
            took = time.perf_counter() - started
            samples[n].append(took * 1000)
            time.sleep(max(0.0, WRITE_EVERY - took))
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    return samples, threads


def _stats(samples: list[list[float]]) -> dict:
    every = sorted(x for s in samples for x in s)
    if not every:
        return {}
    return {"writes": len(every), "p50 ms": round(statistics.median(every), 2),
            "p99 ms": round(every[min(len(every) - 1, int(0.99 * (len(every) - 1)))], 2),
            "max ms": round(every[-1], 2)}


def _collect_in_another_process(path: Path) -> dict:
    """One pass as `make run` runs it: its own process (`gc --every`), so it shares the
    file's lock with the server's writers but not their interpreter."""
    code = ("import json, sys; from bench.retention import NOW, POLICY; "
            "from chalicelib.cli.gc import PAUSE; "
            "from chalicelib.storage.sqlite import SqliteStorage; "
            "print(json.dumps(SqliteStorage(sys.argv[1]).collect_garbage(NOW, POLICY, pause=PAUSE)))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def collection_under_load(directory: Path, s: dict) -> dict:
    path = directory / "collect.db"
    store = SqliteStorage(str(path))
    big = _template(s["events_per_report"])
    small = _template(10)
    count = s["expired"] // s["events_per_report"]
    old = NOW - 30 * DAY
    _load(store, (_copy(big, f"node-{n % 1000}.example", old + timedelta(seconds=n), n)
                  for n in range(count)))
    size_before = path.stat().st_size
    # Without collection, for a fixed time.
    stop = threading.Event()
    samples, threads = _writers(store, s["writers"], stop, small)
    time.sleep(10 if s["expired"] < 100_000 else 30)
    stop.set()
    for thread in threads:
        thread.join()
    baseline = _stats(samples)
    # During one collection pass (as `make run`'s: a pause between batches).
    stop = threading.Event()
    samples, threads = _writers(store, s["writers"], stop, small)
    time.sleep(1)
    started = time.perf_counter()
    counts = _collect_in_another_process(path)
    seconds = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join()
    during = _stats(samples)
    return {"expired events": s["expired"], "writers": s["writers"],
            "events per writer report": 10, "collected": counts,
            "collection seconds": round(seconds, 1),
            "writers without collection": baseline, "writers during collection": during,
            "file MB before": round(size_before / 2**20, 1),
            "file MB after": round(path.stat().st_size / 2**20, 1)}


def steady_state(directory: Path, s: dict) -> dict:
    nodes, runs, events = s["fleet"]
    path = directory / "steady.db"
    store = SqliteStorage(str(path))
    template = _template(events)
    every = DAY / runs
    start = NOW - 15 * DAY

    def runs_between(first: datetime, last: datetime, serial0: int):
        when, serial = first, serial0
        while when < last:
            for n in range(nodes):
                serial += 1
                yield _copy(template, f"node-{n}.example", when + timedelta(seconds=n), serial)
            when += every
    _load(store, runs_between(start, NOW, 0))
    store.collect_garbage(NOW, POLICY)
    before = _file(store, path)
    serial = 10**9
    for hour in range(24):
        first = NOW + hour * timedelta(hours=1)
        _load(store, runs_between(first, first + timedelta(hours=1), serial))
        serial += 10**6
        store.collect_garbage(first + timedelta(hours=1), POLICY)
    after = _file(store, path)
    return {"fleet": f"{nodes} nodes x {runs} runs a day x {events} events",
            "report-ttl": "14d", "before the day": before, "after the day": after}


def _file(store, path: Path) -> dict:
    conn = store.db().conn
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (events,) = conn.execute("SELECT count(*) FROM pdb_events").fetchone()
    (free,) = conn.execute("PRAGMA freelist_count").fetchone()
    return {"events": events, "file MB": round(path.stat().st_size / 2**20, 2),
            "free pages": free}


def run(size: str) -> dict:
    s = SIZES[size]
    with tempfile.TemporaryDirectory() as tmp:
        results = {"size": size, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   "machine": f"{platform.machine()} {os.cpu_count()} cores (shared), Python "
                              f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
                              f"load average at start {os.getloadavg()[0]:.1f}"}
        print("retention: collection under load", file=sys.stderr)
        results["collection under load"] = collection_under_load(Path(tmp), s)
        print("retention: a day at steady state", file=sys.stderr)
        results["steady state"] = steady_state(Path(tmp), s)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"retention-{size}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"retention-{size}.md").write_text(render(results))
    return results


def render(results: dict) -> str:
    load, steady = results["collection under load"], results["steady state"]
    base, during = load["writers without collection"], load["writers during collection"]
    lines = [f"# Retention ({results['size']}, {results['date']})", "", results["machine"], "",
             f"## SQLite collects {load['expired events']:,} expired events while "
             f"{load['writers']} writers store 10-event reports", "",
             "| writers' store_report | writes | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|",
             f"| without collection | {base['writes']} | {base['p50 ms']} | {base['p99 ms']} | {base['max ms']} |",
             f"| during collection | {during['writes']} | {during['p50 ms']} | {during['p99 ms']} | {during['max ms']} |",
             "", f"The pass ran in its own process, as `make run`'s collector does, and took "
             f"{load['collection seconds']} s "
             f"({load['collected']['events']:,} events, {load['collected']['reports']:,} reports); "
             f"file {load['file MB before']} MB before, {load['file MB after']} MB after.", "",
             f"## A day at steady state ({steady['fleet']}, report-ttl {steady['report-ttl']})", "",
             "| | events | file MB | free pages |", "|---|---|---|---|"]
    for name in ("before the day", "after the day"):
        row = steady[name]
        lines.append(f"| {name} | {row['events']:,} | {row['file MB']} | {row['free pages']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retention")
    parser.add_argument("--quick", action="store_true")
    results = run("quick" if parser.parse_args().quick else "full")
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
