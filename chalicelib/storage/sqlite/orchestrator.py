"""Orchestrator jobs, nodes and events in SQLite."""
from __future__ import annotations

import json
from typing import Sequence

from ...orchestrator.activity import job_commits
from ...orchestrator.model import (Job, JobEvent, JobNode, NewJob, NewJobEvent, ORDER_FIELDS,
                                   StatusEntry, UnknownJob, apply_events)
from ...paging import Page
from ...query import sql
from ...query.ast import Node
from ...jsontext import JSONText, loads, loads_own
from ...subscriptions.model import JOB_EVENT
from ...subscriptions.records import job_event as job_event_record
from . import subscriptions as outbox
from .connection import bounded_read, new_record

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


# Listing fields whose columns are NOT NULL (ordered without the NULLs-last term).
NOT_NULL = frozenset({"number", "type", "state", "environment", "owner_login", "timestamp"})

JOB_COLUMNS = ("number", "type", "state", "environment", "owner_id", "owner_login",
               "description", "nodes", "options", "created_timestamp", "timestamp",
               "finish_timestamp", "node_states", "status", "last_event_id", "version")
NODE_COLUMNS = ("name", "state", "timestamp", "start_timestamp", "finish_timestamp",
                "latest_event_id", "details")
EVENT_COLUMNS = ("id", "job", "type", "timestamp", "details", "message")

# Plain SQL, prepared once (sqlite3 caches the statements): the hot paths read and
# write by column position, with no per-call schema introspection.
SELECT_JOB = f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs"
INSERT_JOB = (f"INSERT INTO jobs ({', '.join(JOB_COLUMNS)}) "
              f"VALUES ({', '.join('?' * len(JOB_COLUMNS))})")
UPDATE_JOB = (f"UPDATE jobs SET {', '.join(c + ' = ?' for c in JOB_COLUMNS[1:])} "
              "WHERE number = ?")
SELECT_NODES = f"SELECT {', '.join(NODE_COLUMNS)} FROM job_nodes"
UPSERT_NODE = (f"INSERT INTO job_nodes (job, {', '.join(NODE_COLUMNS)}) "
               f"VALUES (?, {', '.join('?' * len(NODE_COLUMNS))}) ON CONFLICT (job, name) DO UPDATE SET "
               + ", ".join(f"{c} = excluded.{c}" for c in NODE_COLUMNS[1:]))
SELECT_EVENTS = (f"SELECT {', '.join(EVENT_COLUMNS)} FROM job_events "
                 "WHERE job = ? AND id >= ? ORDER BY id LIMIT ?")
INSERT_EVENT = "INSERT INTO job_events (job, type, timestamp, details, message) VALUES (?, ?, ?, ?, ?)"


def _job(row: tuple) -> Job:
    (number, type_, state, environment, owner_id, owner_login, description, nodes, options,
     created, _timestamp, finish, node_states, status, last_event_id, version) = row
    # Built positionally, in Job's field order (see new_record).
    # Nodes, node states and status are the service's own JSON; options were submitted.
    status = tuple([new_record(StatusEntry, (s["state"], s["enter_time"], s.get("exit_time")))
                    for s in loads_own(status)])
    return new_record(Job, (number, type_, state, environment, owner_id, owner_login,
                            description, tuple(loads_own(nodes)), loads(options), created,
                            loads_own(node_states), status, finish, last_event_id, version))


def _job_row(job: Job) -> tuple:
    """The job's values in JOB_COLUMNS order."""
    return (job.number, job.type, job.state, job.environment, job.owner_id, job.owner_login,
            job.description, json.dumps(list(job.nodes)), json.dumps(job.options),
            job.created_timestamp, job.timestamp, job.finish_timestamp,
            json.dumps(job.node_states), json.dumps([s._asdict() for s in job.status]),
            job.last_event_id, job.version)


def _node(row: tuple) -> JobNode:
    name, state, timestamp, start, finish, latest, details = row
    return JobNode(name=name, state=state, timestamp=timestamp, start_timestamp=start,
                   finish_timestamp=finish, latest_event_id=latest, details=loads(details))


def _events(rows: list[tuple]) -> list[JobEvent]:
    # One comprehension, the fields in JobEvent's order (see new_record).
    return [new_record(JobEvent, (id_, job, type_, timestamp, JSONText(details), message))
            for id_, job, type_, timestamp, details, message in rows]


class JobTables:
    """The orchestrator part of the SQLite adapter (mixed into SqliteStorage)."""

    def create_job(self, new: NewJob, record_activity: bool = False) -> Job:
        with self.write() as db:
            conn = db.conn
            # Past every pruned job too (retention.py): numbers are never reused.
            (number,) = conn.execute(
                "SELECT max(COALESCE((SELECT MAX(number) FROM jobs), 0), COALESCE((SELECT "
                "value FROM retention_marks WHERE name = 'jobs'), 0)) + 1").fetchone()
            job = Job.create(number, new)
            conn.execute(INSERT_JOB, _job_row(job))
            conn.executemany("INSERT INTO job_nodes (job, name, state, details) VALUES (?, ?, 'new', '{}')",
                             [(number, name) for name in new.nodes])
            if record_activity:     # in the job's transaction: both or neither
                for name, commit in zip(new.nodes, job_commits(number, new)):
                    self._insert_commit(db, commit, job_run=(number, name))
        return job

    def get_job(self, number: int) -> Job | None:
        row = self.db().conn.execute(SELECT_JOB + " WHERE number = ?", (number,)).fetchone()
        return _job(row) if row else None

    @bounded_read
    def list_jobs(self, where: Node, order_by: str, order: str,
                  limit: int, offset: int) -> Page[Job]:
        clause, params = sql.where(where, COLUMNS)
        field = ORDER_FIELDS[order_by]
        keys = [(field, order)] + ([("number", order)] if field != "number" else [])
        with self.snapshot() as db:
            conn = db.conn
            (total,) = conn.execute(f"SELECT count(*) FROM jobs WHERE {clause}", params).fetchone()
            rows = conn.execute(f"{SELECT_JOB} WHERE {clause} ORDER BY {sql.order_by(keys, COLUMNS, NOT_NULL)} "
                                "LIMIT ? OFFSET ?", params + [limit, offset]).fetchall()
            return Page([_job(r) for r in rows], total, limit, offset)

    def append_job_events(self, number: int, events: Sequence[NewJobEvent]) -> list[JobEvent]:
        with self.write() as db:
            conn = db.conn
            row = conn.execute(SELECT_JOB + " WHERE number = ?", (number,)).fetchone()
            if row is None:
                raise UnknownJob(number)
            job = _job(row)
            names = sorted({e.details.get("node") for e in events if isinstance(e.details.get("node"), str)})
            nodes = {r[0]: _node(r) for r in conn.execute(
                f"{SELECT_NODES} WHERE job = ? AND name IN ({', '.join('?' * len(names))})",
                [number, *names])} if names else {}
            stored: list[tuple[int, NewJobEvent]] = []
            for event in events:
                cursor = conn.execute(INSERT_EVENT, (number, event.type, event.timestamp,
                                                     json.dumps(event.details), event.message))
                stored.append((cursor.lastrowid, event))
            change = apply_events(job, nodes, stored)
            values = _job_row(change.job)
            conn.execute(UPDATE_JOB, values[1:] + (number,))
            conn.executemany(UPSERT_NODE, [
                (number, node.name, node.state, node.timestamp, node.start_timestamp,
                 node.finish_timestamp, node.latest_event_id, json.dumps(node.details))
                for node in change.nodes.values()])
            outbox.enqueue(db, JOB_EVENT, lambda: [job_event_record(JobEvent(
                i, number, e.type, e.timestamp, e.details, e.message)) for i, e in stored])
        return [JobEvent(id=i, job=number, type=e.type, timestamp=e.timestamp,
                         details=e.details, message=e.message) for i, e in stored]

    def job_events(self, number: int, start: int, limit: int) -> list[JobEvent]:
        rows = self.db().conn.execute(SELECT_EVENTS, (number, start, limit)).fetchall()
        return _events(rows)

    def job_nodes(self, number: int) -> list[JobNode]:
        rows = self.db().conn.execute(SELECT_NODES + " WHERE job = ? ORDER BY name", (number,))
        return [_node(r) for r in rows]
