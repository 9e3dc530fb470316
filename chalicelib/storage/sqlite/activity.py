"""Activity-service commits in SQLite.

`sequence` is the submission order: AUTOINCREMENT inside the write lock, so it
only grows and is never reused, and ascending order with an offset is an
append-only cursor (DESIGN.md "Activity service"). Totals of unfiltered listings
come from `activity_totals`, updated in the commit's transaction; filtered ones
are COUNT queries in the same snapshot as the page.
"""
from __future__ import annotations

import json
from functools import lru_cache

from ...activity.model import Commit, Entity, NewCommit, full_filter, object_key, record
from ...orchestrator.activity import current_events
from ...orchestrator.model import JobNode
from ...paging import Page
from ...query import sql
from ...query.ast import EVERYTHING, Node
from ...jsontext import JSONText, loads
from ...subscriptions.model import COMMIT
from ...subscriptions.records import commit as commit_record
from . import subscriptions as outbox
from .connection import bounded_read, new_record

SCHEMA = """
CREATE TABLE IF NOT EXISTS activity_commits (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,  -- submission order, never reused
    service_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject TEXT NOT NULL,          -- JSON {id, name, type}
    objects TEXT NOT NULL,          -- JSON [{id, name, type}]
    ip_address TEXT,
    timestamp TEXT NOT NULL,        -- stored form; filtered by start/end/after
    events TEXT NOT NULL            -- JSON array, as submitted
);
CREATE INDEX IF NOT EXISTS activity_by_service ON activity_commits (service_id, sequence);
CREATE INDEX IF NOT EXISTS activity_by_subject ON activity_commits (subject_id, sequence);
CREATE INDEX IF NOT EXISTS activity_by_timestamp ON activity_commits (timestamp);
-- The rowid again, as an index: offset paging walks these few pages instead of the
-- commits' rows (the table b-tree holds the JSON columns).
CREATE INDEX IF NOT EXISTS activity_by_sequence ON activity_commits (sequence);

-- One row per object of a commit: the indexed side of object_type/object_id filters.
CREATE TABLE IF NOT EXISTS activity_objects (
    sequence INTEGER NOT NULL REFERENCES activity_commits (sequence),
    object_type TEXT NOT NULL,
    object_key TEXT NOT NULL         -- "type<US>id" (activity.model.object_key)
);
CREATE INDEX IF NOT EXISTS activity_objects_by_key ON activity_objects (object_key, sequence);
CREATE INDEX IF NOT EXISTS activity_objects_by_type ON activity_objects (object_type, sequence);

-- A commit the orchestrator recorded for one node of a job (orchestrator/activity.py):
-- its run keys are read from that node's record when the commit is listed.
CREATE TABLE IF NOT EXISTS activity_job_runs (
    sequence INTEGER PRIMARY KEY REFERENCES activity_commits (sequence),
    job INTEGER NOT NULL REFERENCES jobs (number),
    node TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS activity_totals (
    scope TEXT PRIMARY KEY,         -- "all" or "service:<id>"
    total INTEGER NOT NULL
);
"""

COLUMNS = {
    "service_id": "c.service_id", "subject_id": "c.subject_id",
    "subject_type": "c.subject_type", "ip_address": "c.ip_address",
    "timestamp": "c.timestamp", "sequence": "c.sequence",
    "object_types": sql.Column("activity_objects.object_type", "related",
                               ("c.sequence", "sequence")),
    "object_keys": sql.Column("activity_objects.object_key", "related",
                              ("c.sequence", "sequence")),
}


def _entity(data: dict) -> Entity:
    return Entity(data["id"], data.get("name"), data.get("type"))


# Subjects and object lists repeat across commits (a few users act on a few objects),
# and Entities are frozen, so each distinct JSON text is decoded once.
@lru_cache(maxsize=4096)
def _subject(text: str) -> Entity:
    return _entity(loads(text))


@lru_cache(maxsize=4096)
def _objects(text: str) -> tuple[Entity, ...]:
    return tuple(_entity(o) for o in loads(text))


def _commits(rows: list[tuple], runs: dict[int, tuple]) -> list[Commit]:
    # One comprehension, the fields in Commit's order (see new_record). A job's commit
    # (in `runs`: sequence -> job state, node state, start, finish) shows its run now.
    return [new_record(Commit, (service_id, _subject(subject), _objects(objects), timestamp,
                             _run_events(events, runs[sequence]) if sequence in runs
                             else JSONText(events), ip_address, sequence))
            for sequence, service_id, subject, objects, ip_address, timestamp, events in rows]


def _run_events(events: str, run: tuple) -> list[dict]:
    job_state, node_state, start, finish = run
    node = JobNode("", node_state or "new", start_timestamp=start, finish_timestamp=finish)
    return current_events(loads(events), job_state, node)


def _runs(db, sequences: list[int]) -> dict[int, tuple]:
    """The job and node states behind the job commits among `sequences`."""
    if not sequences:
        return {}
    rows = db.conn.execute(
        "SELECT r.sequence, j.state, n.state, n.start_timestamp, n.finish_timestamp "
        "FROM activity_job_runs AS r JOIN jobs AS j ON j.number = r.job "
        "LEFT JOIN job_nodes AS n ON n.job = r.job AND n.name = r.node "
        # One parameter whatever the page size (EVENTS_MAX_PAGE_LIMIT): no variable limit.
        "WHERE r.sequence IN (SELECT value FROM json_each(?))", (json.dumps(sequences),))
    return {sequence: run for sequence, *run in rows}


def _bump(db, scope: str) -> None:
    db.conn.execute("INSERT INTO activity_totals (scope, total) VALUES (?, 1) "
                    "ON CONFLICT (scope) DO UPDATE SET total = total + 1", (scope,))


class CommitTables:
    """The activity part of the SQLite adapter (mixed into SqliteStorage)."""

    def add_commit(self, new: NewCommit) -> Commit:
        with self.write() as db:
            sequence = self._insert_commit(db, new)
        return Commit(**new.__dict__, sequence=sequence)

    def _insert_commit(self, db, new: NewCommit, job_run: tuple[int, str] | None = None) -> int:
        """Store a commit inside the caller's write transaction; its sequence.
        `job_run`: the (job number, node) whose run the commit records."""
        fields = record(new, sequence=0)
        cursor = db.conn.execute(
            "INSERT INTO activity_commits (service_id, subject_id, subject_type, subject, "
            "objects, ip_address, timestamp, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (new.service_id, new.subject.id, fields["subject_type"],
             json.dumps(new.subject.__dict__), json.dumps([o.__dict__ for o in new.objects]),
             new.ip_address, new.timestamp, json.dumps(list(new.events))))
        sequence = cursor.lastrowid
        db.conn.executemany(
            "INSERT INTO activity_objects (sequence, object_type, object_key) VALUES (?, ?, ?)",
            sorted({(sequence, o.type, object_key(o.type, o.id)) for o in new.objects}))
        _bump(db, "all")
        _bump(db, "service:" + new.service_id)
        if job_run:
            db.conn.execute("INSERT INTO activity_job_runs (sequence, job, node) VALUES (?, ?, ?)",
                            (sequence, *job_run))
        outbox.enqueue(db, COMMIT, lambda: [commit_record(new, sequence)])
        return sequence

    @bounded_read
    def list_commits(self, service_id: str | None, where: Node, order: str,
                     limit: int, offset: int) -> Page[Commit]:
        clause, params = sql.where(full_filter(service_id, where), COLUMNS)
        direction = "DESC" if order == "desc" else "ASC"
        scope = "all" if service_id is None else "service:" + service_id
        with self.snapshot() as db:
            skip, take = offset, limit
            if where == EVERYTHING and order != "desc":
                # Deleted commits (retention) keep their positions, the first of the
                # scope: ascending positions [offset, offset + limit) are the survivors'
                # from offset - deleted, so a stored `total` stays a cursor (README).
                deleted = self._deleted_commits(scope)
                skip, take = max(0, offset - deleted), max(0, limit - max(0, deleted - offset))
            selected, selected_params = clause, params
            if skip:
                # Deferred join: the skipped commits are walked as sequences in an index
                # (activity_by_sequence, or the filter's own); only the page's rows are read.
                selected = (f"c.sequence IN (SELECT c.sequence FROM activity_commits AS c "
                            f"WHERE {clause} ORDER BY c.sequence {direction} LIMIT ? OFFSET ?)")
                selected_params = params + [take, skip]
            rows = db.conn.execute(
                "SELECT c.sequence, c.service_id, c.subject, c.objects, c.ip_address, "
                f"c.timestamp, c.events FROM activity_commits AS c WHERE {selected} "
                f"ORDER BY c.sequence {direction} LIMIT ?",
                selected_params + [take]).fetchall()
            if where == EVERYTHING:
                # Never lowered by deletions: the positions the scope has ever had.
                found = db.conn.execute("SELECT total FROM activity_totals WHERE scope = ?",
                                        (scope,)).fetchone()
                total = found[0] if found else 0
            else:
                total = db.conn.execute(
                    f"SELECT COUNT(*) FROM activity_commits AS c WHERE {clause}",
                    params).fetchone()[0]
            runs = _runs(db, [row[0] for row in rows])
        return Page(_commits(rows, runs), total, limit, offset)

    def _deleted_commits(self, scope: str) -> int:
        found = self.db().conn.execute("SELECT deleted FROM activity_deleted WHERE scope = ?",
                                       (scope,)).fetchone()
        return found[0] if found else 0
