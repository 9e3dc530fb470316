"""The fixed query mix of issue 8, per API: in process through the storage port, the
raw-sqlite3 floor (the very statements the port ran, replayed on a plain connection,
fetching the same rows), and over HTTP against `chalice local`."""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from chalicelib import timestamps
from chalicelib.activity import parsing as activity_parsing
from chalicelib.config import settings
from chalicelib.orchestrator import parsing as orchestrator_parsing
from chalicelib.puppetdb.dialects import v1_4
from chalicelib.puppetdb.catalogue import full_order
from chalicelib.storage.sqlite.connection import _regexp

from .timing import percentiles


@dataclass
class Case:
    api: str
    name: str
    path: str
    params: dict
    selective: bool          # the HTTP p50 < 20 ms target applies

    def port(self, store) -> Callable[[], object]:
        """The storage call the route makes for these parameters (parsed the route's way)."""
        params = self.params
        if self.api == "puppetdb":
            q = v1_4.event_query(dict(params), "application/json")
            limit = q.limit if q.limit is not None else settings().event_query_limit + 1
            return lambda: store.find_events(q.where, full_order(q.order), q.offset, limit,
                                             with_total=q.include_total)
        if self.api == "activity v1":
            listing = activity_parsing.v1_listing(params.get, lambda n: [params[n]] if n in params else [])
        elif self.api == "activity v2":
            listing = activity_parsing.v2_listing(params.get)
        elif self.path.endswith("/events"):
            number = int(self.path.split("/")[-2])
            start = int(params.get("start", 0))
            return lambda: store.job_events(number, start, orchestrator_parsing.MAX_EVENTS_PER_PAGE)
        else:
            args = orchestrator_parsing.job_listing(params.get)
            return lambda: store.list_jobs(*args)
        return lambda: store.list_commits(listing.service_id, listing.where, listing.order,
                                          listing.limit, listing.offset)


def cases(raw: sqlite3.Connection) -> list[Case]:
    """The mix, with keys picked from the loaded data (the middle of each range)."""
    def one(sql, *params):
        row = raw.execute(sql, params).fetchone()
        return row[0] if row else None

    found = []
    if one("SELECT count(*) FROM pdb_reports"):
        total = one("SELECT count(*) FROM pdb_reports")
        report = one("SELECT hash FROM pdb_reports LIMIT 1 OFFSET ?", total // 2)
        certname = one("SELECT certname FROM pdb_reports WHERE hash = ?", report)
        low = one("SELECT timestamp FROM pdb_events WHERE report = ? LIMIT 1", report)
        high = timestamps.stored(timestamps.parse(low) + timedelta(hours=1))
        pdb = "/experimental/events"
        found += [
            Case("puppetdb", "report hash", pdb, {"query": json.dumps(["=", "report", report])}, True),
            Case("puppetdb", "certname", pdb, {"query": json.dumps(["=", "certname", certname])}, True),
            Case("puppetdb", "status=failure, limit 100", pdb,
                 {"query": json.dumps(["=", "status", "failure"]), "limit": "100"}, True),
            Case("puppetdb", "latest-report + resource-type, limit 100", pdb,
                 {"query": json.dumps(["and", ["=", "latest-report", True], ["=", "resource-type", "Cron"]]),
                  "limit": "100"}, True),
            Case("puppetdb", "1 hour with not (status), order by timestamp", pdb,
                 {"query": json.dumps(["and", [">=", "timestamp", low], ["<", "timestamp", high],
                                       ["not", ["=", "status", "success"]]])}, True),
            Case("puppetdb", "regex on certname, limit 100", pdb,
                 {"query": json.dumps(["~", "certname", "^" + certname[:8].replace(".", "\\.") + "[0-9]\\."]),
                  "limit": "100"}, True),
        ]
    if one("SELECT count(*) FROM activity_commits"):
        total = one("SELECT count(*) FROM activity_commits")
        middle = raw.execute("SELECT sequence, service_id, subject_id, timestamp FROM activity_commits "
                             "WHERE service_id = 'puppet-ca' LIMIT 1 OFFSET ?", [total // 20]).fetchone()
        sequence, _, subject, when = middle
        key = one("SELECT object_key FROM activity_objects WHERE sequence = ?", sequence)
        object_type, object_id = key.split("\x1f")
        end = one("SELECT timestamp FROM activity_commits WHERE sequence = ?", sequence + 50) or when
        act = "/activity-api"
        found += [
            Case("activity v1", "by service (limit 1000)", act + "/v1/events", {"service_id": "rbac"}, False),
            Case("activity v1", "by service, limit 100", act + "/v1/events",
                 {"service_id": "rbac", "limit": "100"}, True),
            Case("activity v1", "by object", act + "/v1/events",
                 {"service_id": "puppet-ca", "object_type": object_type, "object_id": object_id}, True),
            Case("activity v2", "by object", act + "/v2/events",
                 {"query": json.dumps([{"object_type": object_type, "object_id": object_id}])}, True),
            Case("activity v2", "by subject, limit 100", act + "/v2/events",
                 {"query": json.dumps([{"subject_id": subject}]), "limit": "100"}, True),
            Case("activity v2", "time range (~50 commits)", act + "/v2/events",
                 {"query": json.dumps([{"start": when, "end": end}])}, True),
            Case("activity v2", "offset 100,000, limit 100", act + "/v2/events",
                 {"offset": str(min(100000, total // 2)), "limit": "100"}, True),
        ]
    if one("SELECT count(*) FROM jobs"):
        big = one("SELECT job FROM job_events GROUP BY job ORDER BY count(*) DESC LIMIT 1")
        size = one("SELECT count(*) FROM job_events WHERE job = ?", big)
        start = one("SELECT id FROM job_events WHERE job = ? ORDER BY id LIMIT 1 OFFSET ?", big, size // 2)
        orch = "/orchestrator/v1"
        found += [
            Case("orchestrator", f"events page, start deep ({size // 2} of {size}) in a job",
                 f"{orch}/jobs/{big}/events", {"start": str(start)}, True),
            Case("orchestrator", "/jobs page (limit 20, offset 100)", orch + "/jobs",
                 {"limit": "20", "offset": "100"}, True),
            Case("orchestrator", "/jobs by owner desc, type=task, limit 20", orch + "/jobs",
                 {"order_by": "owner", "order": "desc", "type": "task", "limit": "20"}, True),
        ]
    return found


def statements(store, call) -> list[str]:
    """The SQL statements (parameters inlined) the port runs for one call."""
    conn = store.db().conn
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def floor(path: str, sql: list[str]) -> Callable[[], object]:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.create_function("regexp", 2, _regexp, deterministic=True)
    return lambda: [raw.execute(s).fetchall() for s in sql]


def _repeats(seconds: float, most: int) -> int:
    """Fewer repeats for slow queries: about a second per side, at least 5."""
    return max(5, min(most, int(1.0 / max(seconds, 1e-6))))


def in_process(store, path: str, mix: list[Case], repeat: int) -> list[dict]:
    rows = []
    for case in mix:
        call = case.port(store)
        started = time.perf_counter()
        result = call()
        n = _repeats(time.perf_counter() - started, repeat)
        returned = len(result.items if hasattr(result, "items") else result)
        raw = floor(path, statements(store, call))
        port, base = percentiles(call, n), percentiles(raw, n)
        # interleave a second round of each so drift on a shared machine hits both
        port2, base2 = percentiles(call, n), percentiles(raw, n)
        p50 = min(port[0], port2[0])
        f50 = min(base[0], base2[0])
        rows.append({"api": case.api, "query": case.name, "rows": returned,
                     "port p50 ms": p50, "port p95 ms": min(port[1], port2[1]),
                     "floor p50 ms": f50, "port/floor": round(p50 / f50, 2) if f50 else None})
    return rows


def over_http(new_session, base: str, mix: list[Case], repeat: int) -> list[dict]:
    rows = []
    for case in mix:
        def call(case=case):
            with new_session() as session:
                response = session.get(base + case.path, params=case.params)
                response.raise_for_status()
                return response
        try:
            started = time.perf_counter()
            body = call().content
            p50, p95 = percentiles(call, _repeats(time.perf_counter() - started, repeat))
        except Exception as error:       # a dev-server hiccup must not lose the run
            rows.append({"api": case.api, "query": case.name, "bytes": None, "p50 ms": None,
                         "p95 ms": None, "selective": case.selective, "target p50 < 20 ms": f"error: {error}"})
            continue
        rows.append({"api": case.api, "query": case.name, "bytes": len(body), "p50 ms": p50,
                     "p95 ms": p95, "selective": case.selective,
                     "target p50 < 20 ms": ("met" if p50 < 20 else "MISSED") if case.selective else "n/a"})
    return rows
