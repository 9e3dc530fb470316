"""The fleet part of the bench (issue 15): the queries a dashboard sends on every
refresh, at fleet sizes. DynamoDB (moto): items read, Scans and Queries counted, not
timed. SQLite: timed, the port against the raw-SQL floor (mix.floor: the very
statements the port ran, replayed on a plain connection).

The fleet: `nodes` nodes, `runs` reports each (run k of every node in time slice k,
so the last run is each node's latest report), `events` resource events a report
(a few percent failures, noops and skips, as bench/datasets.py)."""
from __future__ import annotations

import copy
import json
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Iterator

from chalicelib.puppetdb.ingest import reports as parse
from chalicelib.puppetdb.model import Report

from . import datasets

RUN_INTERVAL = timedelta(minutes=30)
LATEST = ["=", "latest_report?", True]


def fleet_reports(nodes: int, runs: int, events: int, seed: int = 15,
                  rerun_every: int = 1) -> Iterator[Report]:
    """Reports in arrival order: every node's run 0, then run 1 of every
    `rerun_every`-th node, ... (fewer reports to load where loading is slow: moto)."""
    rng = random.Random(seed)
    template = datasets._template()
    template.pop("resources")
    received = datasets._time(datasets.EPOCH + RUN_INTERVAL * (runs + 2))
    received = received.replace("+00:00", "Z")
    for run in range(runs):
        for n in range(nodes):
            if run and n % rerun_every:
                continue
            node = datasets.certname(n)
            start = datasets.EPOCH + RUN_INTERVAL * run + timedelta(seconds=rng.uniform(0, 600))
            body = copy.copy(template)
            body.update(certname=node, producer=node, configuration_version=str(1795324011 + run),
                        transaction_uuid=f"{rng.getrandbits(128):032x}",
                        start_time=datasets._time(start),
                        end_time=datasets._time(start + timedelta(seconds=20)),
                        producer_timestamp=datasets._time(start + timedelta(seconds=21)))
            body["resources"] = [datasets._resource(rng, start + timedelta(milliseconds=10 * i), node, i)
                                 for i in range(events)]
            body["status"] = "failed" if any(e["status"] == "failure" for r in body["resources"]
                                             for e in r["events"]) else "changed"
            yield parse.from_v8(body, received=received)


@dataclass
class Query:
    name: str
    call: Callable[[], object]
    returned: Callable[[object], int]      # items the answer returns (or summarises)
    dashboard: bool = True                 # the <= 1.25 items read per item target applies


def _request(entity, allowed, params: dict, **options):
    from chalicelib.puppetdb.dialects import v4
    return v4.parse_request({k: (json.dumps(v) if not isinstance(v, str) else v)
                           for k, v in params.items()}, None, entity, allowed, **options)


def dashboard(store, certname: str, report_hash: str, latest_events: int, nodes: int) -> list[Query]:
    """The dashboard mix, through the v4 query layer the routes call. `latest_events`
    and `nodes` are what the aggregates summarise (counted as returned, issue 15)."""
    from chalicelib.config import settings
    from chalicelib.puppetdb import queries as v4
    from chalicelib.puppetdb.catalogue import EVENTS, REPORTS
    from chalicelib.puppetdb.dialects import v4 as v4params
    fail = settings().event_query_limit
    P = v4params
    nodes_page = _request(REPORTS, P.REPORTS_PARAMS, {"query": LATEST, "limit": "100",
                                                       "order_by": [{"field": "certname"}]})
    failures = _request(EVENTS, P.EVENTS_PARAMS, {"query": ["and", LATEST, ["=", "status", "failure"]],
                                                  "limit": "10"})
    by_certname = _request(EVENTS, P.EVENT_COUNTS_PARAMS, {"query": LATEST, "summarize_by": "certname"},
                           counting=True)
    by_resource = _request(EVENTS, P.EVENT_COUNTS_PARAMS,
                           {"query": LATEST, "summarize_by": "resource", "limit": "10",
                            "order_by": [{"field": "failures", "order": "desc"}]}, counting=True)
    aggregate = _request(EVENTS, P.AGGREGATE_PARAMS, {"query": LATEST, "summarize_by": "certname"},
                         counting=True, aggregate=True)
    node_reports = _request(REPORTS, P.REPORTS_PARAMS, {"query": ["=", "certname", certname],
                                                        "limit": "10"})
    report_events = _request(EVENTS, P.EVENTS_PARAMS, {"query": ["=", "report", report_hash]})
    items = lambda page: len(page.items)                          # noqa: E731
    from chalicelib.query.ast import EVERYTHING
    return [
        Query("nodes page (every node's summary, by certname)",
              lambda: store.find_nodes(EVERYTHING, (("certname", "asc"),), 0, None,
                                       with_total=False), items),
        Query("latest failures (events, limit 10)", lambda: v4.events(store, failures, fail), items),
        Query("event-counts by certname, latest",
              lambda: v4.event_counts(store, by_certname, fail), lambda _: nodes),
        Query("event-counts by resource, latest (limit 10)",
              lambda: v4.event_counts(store, by_resource, fail), lambda _: latest_events),
        Query("aggregate-event-counts by certname, latest",
              lambda: v4.aggregate_event_counts(store, aggregate, fail), lambda _: nodes),
        Query("reports of one node (limit 10)", lambda: v4.reports(store, node_reports), items),
        Query("events of one report", lambda: v4.events(store, report_events, fail), items),
        Query("latest_report? reports, by certname, limit 100 (not a dashboard query)",
              lambda: v4.reports(store, nodes_page), items, dashboard=False),
    ]


def _attempt(query: Query):
    """(answer, error text): a query may fail by design (the fail limit)."""
    from chalicelib.errors import ApiError
    try:
        return query.call(), None
    except ApiError as error:
        return None, f"{error.status}: {error.msg}"[:90]


def load(store, nodes: int, runs: int, events: int, rerun_every: int = 1) -> dict:
    """Store the fleet through the port; returns what the queries need."""
    import contextlib
    bulk = store.bulk if hasattr(store, "bulk") else contextlib.nullcontext
    started = time.perf_counter()
    last: dict[str, Report] = {}
    batch = []
    stored_events = 0
    for report in fleet_reports(nodes, runs, events, rerun_every=rerun_every):
        batch.append(report)
        stored_events += len(report.events)
        last[report.certname] = report
        if len(batch) == 500:
            with bulk():
                for r in batch:
                    store.store_report(r)
            batch.clear()
    with bulk():
        for r in batch:
            store.store_report(r)
    middle = last[datasets.certname(nodes // 2 - nodes // 2 % rerun_every)]
    return {"certname": middle.certname, "report": middle.hash, "events": stored_events,
            "latest_events": sum(len(r.events) for r in last.values()), "nodes": nodes,
            "load s": round(time.perf_counter() - started, 1)}


def dynamodb(store, nodes: int, runs: int, events: int, rerun_every: int = 1) -> dict:
    """Items read per dashboard query on moto (bench/dynamo.Counted). Only every
    `rerun_every`-th node runs more than once: moto takes ~0.2 s of CPU a report."""
    from .dynamo import Counted
    data = load(store, nodes, runs, events, rerun_every)
    counted = Counted(store.client)
    rows = []
    try:
        for query in dashboard(store, data["certname"], data["report"], data["latest_events"], nodes):
            counted.reset()
            answer, error = _attempt(query)
            returned = query.returned(answer) if error is None else 0
            read = counted.page + counted.count + counted.lookups
            per = round(read / returned, 2) if returned else None
            scans = counted.calls.get("scan", 0)
            rows.append({"query": query.name, "returned": returned if error is None else error,
                         "items read": read, "Scans": scans,
                         "Queries": counted.calls.get("query", 0) + counted.calls.get("query COUNT", 0),
                         "key lookups": counted.lookups, "read per returned": per,
                         "target <= 1.25, no Scan": ("n/a" if not query.dashboard else
                                                     "met" if per is not None and per <= 1.25
                                                     and not scans else "MISSED")})
    finally:
        counted.close()
    return {"fleet": {"nodes": nodes, "runs": runs, "events per report": events,
                      "events": data["events"], "load s": data["load s"]}, "queries": rows}


def sqlite(store, path: str, nodes: int, runs: int, events: int, repeat: int,
           data: dict | None = None) -> dict:
    """p50/p95 of each dashboard query through the port, and the raw-SQL floor.
    `data`: what `load` returned for a store loaded already."""
    from .mix import _repeats, floor, statements
    from .timing import percentiles
    data = data or load(store, nodes, runs, events)
    rows = []
    for query in dashboard(store, data["certname"], data["report"], data["latest_events"], nodes):
        started = time.perf_counter()
        answer, error = _attempt(query)
        if error is not None:
            rows.append({"query": query.name, "returned": error, "port p50 ms": None,
                         "port p95 ms": None, "floor p50 ms": None, "port/floor": None})
            continue
        n = _repeats(time.perf_counter() - started, repeat)
        raw = floor(path, statements(store, query.call))
        port, base = percentiles(query.call, n), percentiles(raw, n)
        rows.append({"query": query.name, "returned": query.returned(answer),
                     "port p50 ms": port[0], "port p95 ms": port[1], "floor p50 ms": base[0],
                     "port/floor": round(port[0] / base[0], 2) if base[0] else None})
    return {"fleet": {"nodes": nodes, "runs": runs, "events per report": events,
                      "events": data.get("events", nodes * runs * events), "load s": data["load s"]}, "queries": rows}
