"""python -m bench.subscriptions [--quick]: the figures of issue 17 (docs/performance.md,
"Subscriptions"). Writes bench/results/subscriptions[-quick].json and .md.

1. Report ingest p50/p90 (SQLite store_report, one report of 20 events, each its own
   transaction as a request makes it) with 0 and with 10 subscriptions to
   puppetdb.report (one outbox row per report), and 10 to puppetdb.event (one per
   event, 20): the outbox rows are the only difference.
   The two stores are written in alternation, so machine noise hits both; a third
   column has the dispatcher thread delivering to a receiver at the same time.
2. Deliveries per second: the dispatcher draining a backlog to a receiver on
   127.0.0.1 (real HTTP, signed), one node (one ordered group) and 20 nodes.
3. Store-to-receiver latency with `make run`'s dispatcher thread (its 0.1 s poll).
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from chalicelib.config import settings
from chalicelib.puppetdb.ingest import reports
from chalicelib.storage.sqlite import SqliteStorage
from chalicelib.subscriptions import dispatcher, model, signing

from . import datasets

RESULTS = Path(__file__).parent / "results"
SIZES = {"quick": dict(ingest=300, backlog=500, latency=30),
         "full": dict(ingest=2000, backlog=3000, latency=100)}
EVENTS_PER_REPORT = 20
TEMPLATE_SEED = 2         # a template report with at least EVENTS_PER_REPORT resources


class Sink:
    """A receiver answering 204 to everything; counts requests and their arrival times."""

    def __init__(self):
        self.count, self.arrivals = 0, {}
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                subject = json.loads(body).get("subject")
                sink.count += 1
                sink.arrivals.setdefault(subject, time.perf_counter())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _subscribe(store, url: str, sources, n: int) -> None:
    for i in range(n):
        store.add_subscription(model.Subscription(
            id=f"{i:032x}", url=url, sources=tuple(sources), filters={}, description="bench",
            created="2026-01-01T00:00:00.000000Z", salt=signing.new_salt()))


def _report_stream(count: int, seed: int):
    """`count` distinct parsed reports of EVENTS_PER_REPORT events each, all from one
    template (`seed` only makes the hashes differ): stores compared must store the
    same data, or the data is what the figure measures."""
    template = next(iter(datasets.reports(EVENTS_PER_REPORT * 2, nodes=50, seed=TEMPLATE_SEED)))
    for i in range(count):
        body = copy.deepcopy(template)
        body["certname"] = datasets.certname(i % 50)
        body["transaction_uuid"] = f"00000000-0000-0000-0000-{seed:04d}{i:08d}"
        body["resources"] = body["resources"][:EVENTS_PER_REPORT]
        yield reports.from_v8(body)


def _ms(samples):
    ordered = sorted(samples)
    return (round(statistics.median(ordered) * 1000, 3),
            round(ordered[int(len(ordered) * 0.9)] * 1000, 3))


def _ten(store, url: str, source: str = model.REPORT) -> None:
    """10 subscriptions to `source`."""
    for i in range(10):
        store.add_subscription(model.Subscription(
            id=f"{i:032x}", url=url, sources=(source,),
            filters={}, description="bench", created="2026-01-01T00:00:00.000000Z",
            salt=signing.new_salt()))


def _interleaved(stores: dict, count: int, seed: int) -> dict:
    streams = {name: _report_stream(count, seed + i) for i, name in enumerate(stores)}
    samples = {name: [] for name in stores}
    for _ in range(count):
        for name, store in stores.items():        # alternating: the same noise for each
            report = next(streams[name])
            started = time.perf_counter()
            store.store_report(report)
            samples[name].append(time.perf_counter() - started)
    return {name: dict(zip(("p50 ms", "p90 ms"), _ms(s)), reports=count)
            for name, s in samples.items()}


def ingest(tmp: Path, count: int) -> dict:
    """Phase 1: 0 vs 10 subscriptions, no dispatcher (the outbox's own cost). Phase 2:
    the same pair while a dispatcher thread in this process delivers the 10
    subscriptions' events to a receiver (`make run`'s situation: one process)."""
    sink = Sink()
    config = dataclasses.replace(settings(), stage="local")
    quiet = {"0 subscriptions": SqliteStorage(str(tmp / "zero.db")),
             "10 subscriptions": SqliteStorage(str(tmp / "ten.db")),
             "10 subscriptions to puppetdb.event": SqliteStorage(str(tmp / "ten-events.db"))}
    _ten(quiet["10 subscriptions"], sink.url)
    _ten(quiet["10 subscriptions to puppetdb.event"], sink.url, model.EVENT)
    results = _interleaved(quiet, count, 1)
    busy = {"0 subscriptions, dispatcher delivering": SqliteStorage(str(tmp / "zero2.db")),
            "10 subscriptions, dispatcher delivering": SqliteStorage(str(tmp / "ten2.db"))}
    _ten(busy["10 subscriptions, dispatcher delivering"], sink.url)
    live = dispatcher.Dispatcher(busy["10 subscriptions, dispatcher delivering"], config=config)
    live.start()
    results.update(_interleaved(busy, count, 10))
    live.stop()
    results["deliveries made meanwhile"] = sink.count
    sink.stop()
    return results


def throughput(tmp: Path, backlog: int, nodes: int) -> dict:
    sink = Sink()
    store = SqliteStorage(str(tmp / f"backlog-{nodes}.db"))
    _subscribe(store, sink.url, [model.REPORT], 1)
    for i, report in enumerate(_report_stream(backlog, 100 + nodes)):
        store.store_report(dataclasses.replace(report, certname=datasets.certname(i % nodes)))
    config = dataclasses.replace(settings(), stage="local")
    started = time.perf_counter()
    while sink.count < backlog:
        dispatcher.cycle(store, config=config)
    elapsed = time.perf_counter() - started
    sink.stop()
    return {"nodes (ordered groups)": nodes, "deliveries": backlog,
            "seconds": round(elapsed, 2), "deliveries/s": round(backlog / elapsed)}


def latency(tmp: Path, count: int) -> dict:
    """Seconds from store_report's return to the receiver's arrival, dispatcher thread on."""
    sink = Sink()
    store = SqliteStorage(str(tmp / "latency.db"))
    _subscribe(store, sink.url, [model.REPORT], 1)
    live = dispatcher.Dispatcher(store, config=dataclasses.replace(settings(), stage="local"))
    live.start()
    gaps = []
    for i, report in enumerate(_report_stream(count, 300)):
        report = dataclasses.replace(report, certname=f"latency-{i}.example")
        stored = time.perf_counter()
        store.store_report(report)
        while report.certname not in sink.arrivals:
            time.sleep(0.001)
        gaps.append(sink.arrivals[report.certname] - stored)
    live.stop()
    sink.stop()
    p50, p90 = _ms(gaps)
    return {"reports": count, "p50 ms": p50, "p90 ms": p90, "max ms": round(max(gaps) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    size = "quick" if parser.parse_args().quick else "full"
    figures = SIZES[size]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = {"ingest": ingest(tmp, figures["ingest"]),
                   "deliveries": [throughput(tmp, figures["backlog"], n) for n in (1, 20)],
                   "latency": latency(tmp, figures["latency"])}
    name = "subscriptions" + ("-quick" if size == "quick" else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["| report ingest (SQLite, 20 events) | p50 ms | p90 ms |", "|---|---|---|"]
    lines += [f"| {k} | {v['p50 ms']} | {v['p90 ms']} |" for k, v in results["ingest"].items()
              if isinstance(v, dict)]
    lines += [f"\n({results['ingest']['deliveries made meanwhile']} deliveries made during phase 2; "
              f"outbox rows per report: 1 for puppetdb.report, {EVENTS_PER_REPORT} for puppetdb.event, "
              f"whatever the number of subscriptions)"]
    lines += ["", "| backlog drained | deliveries | seconds | deliveries/s |", "|---|---|---|---|"]
    lines += [f"| {d['nodes (ordered groups)']} node(s) | {d['deliveries']} | {d['seconds']} | "
              f"{d['deliveries/s']} |" for d in results["deliveries"]]
    lat = results["latency"]
    lines += ["", f"store -> receiver with the dispatcher thread: p50 {lat['p50 ms']} ms, "
                  f"p90 {lat['p90 ms']} ms, max {lat['max ms']} ms ({lat['reports']} reports)"]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
