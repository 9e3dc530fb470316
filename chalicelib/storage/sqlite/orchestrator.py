"""Orchestrator jobs, nodes and events in SQLite."""
from __future__ import annotations

import json
from typing import Sequence

from ...orchestrator.model import (Job, JobEvent, JobNode, NewJob, NewJobEvent, ORDER_FIELDS,
                                   StatusEntry, UnknownJob, apply_events)
from ...paging import Page
from ...query import sql
from ...query.ast import Node

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    number INTEGER PRIMARY KEY,          -- gap-free: max + 1 inside the write lock
    type TEXT NOT NULL,
    state TEXT NOT NULL,
    environment TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    owner_login TEXT NOT NULL,
    description TEXT NOT NULL,
    nodes TEXT NOT NULL,                 -- JSON array of node names
    options TEXT NOT NULL,               -- JSON object
    created_timestamp TEXT NOT NULL,
    timestamp TEXT NOT NULL,             -- last state change (PE's `timestamp`)
    finish_timestamp TEXT,
    node_states TEXT NOT NULL,           -- JSON object state -> count
    status TEXT NOT NULL,                -- JSON array of {state, enter_time, exit_time}
    last_event_id INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_timestamp ON jobs (timestamp, number);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, number);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (owner_login, number);
CREATE INDEX IF NOT EXISTS jobs_by_environment ON jobs (environment, number);
CREATE INDEX IF NOT EXISTS jobs_by_type ON jobs (type, number);
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs (finish_timestamp);

CREATE TABLE IF NOT EXISTS job_nodes (
    job INTEGER NOT NULL REFERENCES jobs (number),
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    timestamp TEXT,
    start_timestamp TEXT,
    finish_timestamp TEXT,
    latest_event_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (job, name)
);

CREATE TABLE IF NOT EXISTS job_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- global, increasing, never reused
    job INTEGER NOT NULL REFERENCES jobs (number),
    type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    details TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_events_by_job ON job_events (job, id);
"""

# AST fields of the job listing -> columns.
COLUMNS = {
    "number": "number", "type": "type", "state": "state", "environment": "environment",
    "owner_login": "owner_login", "timestamp": "timestamp",
    "finish_timestamp": "finish_timestamp",
}


def _job(row: dict) -> Job:
    return Job(number=row["number"], type=row["type"], state=row["state"],
               environment=row["environment"], owner_id=row["owner_id"],
               owner_login=row["owner_login"], description=row["description"],
               nodes=tuple(json.loads(row["nodes"])), options=json.loads(row["options"]),
               created_timestamp=row["created_timestamp"], finish_timestamp=row["finish_timestamp"],
               node_states=json.loads(row["node_states"]),
               status=tuple(StatusEntry(**s) for s in json.loads(row["status"])),
               last_event_id=row["last_event_id"], version=row["version"])


def _job_row(job: Job) -> dict:
    return {"number": job.number, "type": job.type, "state": job.state,
            "environment": job.environment, "owner_id": job.owner_id,
            "owner_login": job.owner_login, "description": job.description,
            "nodes": json.dumps(list(job.nodes)), "options": json.dumps(job.options),
            "created_timestamp": job.created_timestamp, "timestamp": job.timestamp,
            "finish_timestamp": job.finish_timestamp,
            "node_states": json.dumps(job.node_states),
            "status": json.dumps([s.__dict__ for s in job.status]),
            "last_event_id": job.last_event_id, "version": job.version}


def _node(row: dict) -> JobNode:
    return JobNode(name=row["name"], state=row["state"], timestamp=row["timestamp"],
                   start_timestamp=row["start_timestamp"],
                   finish_timestamp=row["finish_timestamp"],
                   latest_event_id=row["latest_event_id"], details=json.loads(row["details"]))


def _event(row: dict) -> JobEvent:
    return JobEvent(id=row["id"], job=row["job"], type=row["type"], timestamp=row["timestamp"],
                    details=json.loads(row["details"]), message=row["message"])


class JobTables:
    """The orchestrator part of the SQLite adapter (mixed into SqliteStorage)."""

    def create_job(self, new: NewJob) -> Job:
        with self.write() as db:
            (number,) = db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM jobs").fetchone()
            job = Job.create(number, new)
            db["jobs"].insert(_job_row(job))
            db["job_nodes"].insert_all(
                {"job": number, "name": name, "state": "new", "details": "{}"}
                for name in new.nodes)
        return job

    def get_job(self, number: int) -> Job | None:
        rows = list(self.db()["jobs"].rows_where("number = ?", [number]))
        return _job(rows[0]) if rows else None

    def list_jobs(self, where: Node, order_by: str, order: str,
                  limit: int, offset: int) -> Page[Job]:
        clause, params = sql.where(where, COLUMNS)
        field = ORDER_FIELDS[order_by]
        keys = [(field, order)] + ([("number", order)] if field != "number" else [])
        with self.snapshot() as db:
            table = db["jobs"]
            total = table.count_where(clause, params)
            rows = table.rows_where(clause, params, order_by=sql.order_by(keys, COLUMNS),
                                    limit=limit, offset=offset)
            return Page([_job(r) for r in rows], total, limit, offset)

    def append_job_events(self, number: int, events: Sequence[NewJobEvent]) -> list[JobEvent]:
        with self.write() as db:
            rows = list(db["jobs"].rows_where("number = ?", [number]))
            if not rows:
                raise UnknownJob(number)
            job = _job(rows[0])
            names = sorted({e.details.get("node") for e in events if isinstance(e.details.get("node"), str)})
            nodes = {r["name"]: _node(r) for r in db["job_nodes"].rows_where(
                f"job = ? AND name IN ({', '.join('?' * len(names))})", [number, *names])} if names else {}
            stored: list[tuple[int, NewJobEvent]] = []
            for event in events:
                cursor = db.execute(
                    "INSERT INTO job_events (job, type, timestamp, details, message) VALUES (?, ?, ?, ?, ?)",
                    [number, event.type, event.timestamp, json.dumps(event.details), event.message])
                stored.append((cursor.lastrowid, event))
            change = apply_events(job, nodes, stored)
            db["jobs"].update(number, _job_row(change.job))
            for node in change.nodes.values():
                db["job_nodes"].upsert(
                    {"job": number, "name": node.name, "state": node.state,
                     "timestamp": node.timestamp, "start_timestamp": node.start_timestamp,
                     "finish_timestamp": node.finish_timestamp,
                     "latest_event_id": node.latest_event_id, "details": json.dumps(node.details)},
                    pk=("job", "name"))
        return [JobEvent(id=i, job=number, type=e.type, timestamp=e.timestamp,
                         details=e.details, message=e.message) for i, e in stored]

    def job_events(self, number: int, start: int, limit: int) -> list[JobEvent]:
        rows = self.db()["job_events"].rows_where("job = ? AND id >= ?", [number, start],
                                                  order_by="id", limit=limit)
        return [_event(r) for r in rows]

    def job_nodes(self, number: int) -> list[JobNode]:
        rows = self.db()["job_nodes"].rows_where("job = ?", [number], order_by="name")
        return [_node(r) for r in rows]
