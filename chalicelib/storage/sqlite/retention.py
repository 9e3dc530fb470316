"""The SQLite collector: deletes what retention.Policy says has expired, in small
batches, each its own write transaction, so no request waits behind it longer than
one batch (docs/performance.md, "Retention").

Order of work (a pass): events past resource-events-ttl; reports past report-ttl,
each batch with its events and details, and the nodes whose latest report went
moved to their newest surviving one in the same transaction (a reader never sees a
report without its events, nor a latest report that is gone); jobs past the PE
threshold; activity commits past activity-ttl, oldest submission first.

Space: a new file is made with `auto_vacuum = INCREMENTAL` (connection.py), and each
pass ends with `PRAGMA incremental_vacuum`, giving freed pages back; a file made
before keeps them on its free list, which later writes reuse, so at steady state
(as much expiring as arriving) the file stops growing either way.
"""
from __future__ import annotations

import json
import time
from datetime import datetime

from ... import timestamps
from ...orchestrator.activity import current_events
from ...orchestrator.model import JobNode
from ...puppetdb import nodes
from ...retention import Policy

SCHEMA = """
-- Numbers that must not be reused after what held them is deleted.
CREATE TABLE IF NOT EXISTS retention_marks (
    name TEXT PRIMARY KEY,          -- "jobs": the highest job number ever pruned
    value INTEGER NOT NULL
);
-- Activity commits deleted per listing scope ("all", "service:<id>"): they keep their
-- positions, so `order=asc&offset=<total>` stays a cursor (storage/sqlite/activity.py).
CREATE TABLE IF NOT EXISTS activity_deleted (
    scope TEXT PRIMARY KEY,
    deleted INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pdb_reports_by_latest_key ON pdb_reports (latest_key);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_timestamp);
"""

EVENT_BATCH = 200        # rows of pdb_events per transaction (8 indexes each)
REPORT_BATCH = 20        # reports (with all their events) per transaction
NODE_BATCH = 25          # nodes expired, or purged with their reports (PuppetDB's
                         # node-purge-gc-batch-limit), per transaction
JOB_BATCH = 20
COMMIT_BATCH = 200
VACUUM_PAGES = 200       # pages handed back per incremental_vacuum step (about a batch)


class RetentionTables:
    """collect_garbage for the SQLite adapter (mixed into SqliteStorage)."""

    def collect_garbage(self, now: datetime, policy: Policy, *,
                        pause: float = 0.0) -> dict[str, int]:
        """One collection pass at clock reading `now`; returns what was deleted:
        {"events", "reports", "jobs", "commits", "expired_nodes", "purged_nodes"}.
        Nodes expire and purge after reports are collected, so a node whose last
        report just went is judged on what is left.
        `pause`: seconds to sleep between batches, so waiting writers get the lock."""
        counts = dict.fromkeys(("events", "reports", "jobs", "commits",
                                "expired_nodes", "purged_nodes"), 0)
        cutoffs = [c for c in (policy.event_cutoff(now), policy.report_cutoff(now)) if c]
        if cutoffs:
            counts["events"] = self._in_batches(self._delete_events, max(cutoffs), pause)
        if policy.report_cutoff(now):
            counts["reports"] = self._in_batches(self._delete_reports,
                                                 policy.report_cutoff(now), pause)
        counts.update(self._collect_nodes(now, policy, pause))
        if policy.job_cutoff(now):
            counts["jobs"] = self._in_batches(self._delete_jobs, policy.job_cutoff(now), pause)
        if policy.commit_cutoff(now):
            counts["commits"] = self._in_batches(self._delete_commits,
                                                 policy.commit_cutoff(now), pause)
        self._vacuum(pause)
        return counts

    def _collect_nodes(self, now: datetime, policy: Policy, pause: float) -> dict[str, int]:
        """PuppetDB's expire-stale-nodes (node-ttl) and purge-deactivated-and-expired-
        nodes! (node-purge-ttl): a node whose latest report is older than node-ttl
        (or that has none) is marked expired now; a node deactivated or expired
        before now - node-purge-ttl is deleted with its reports."""
        counts = {}
        stale_before = policy.expire_before(now)
        if stale_before:
            expired = timestamps.stored(now)
            counts["expired_nodes"] = self._in_batches(
                lambda db, cutoff: db.conn.execute(
                    "UPDATE pdb_certnames SET expired = ? WHERE certname IN (SELECT certname "
                    "FROM pdb_certnames WHERE deactivated IS NULL AND expired IS NULL "
                    "AND (latest_key IS NULL OR latest_key < ?) LIMIT ?)",
                    (expired, cutoff, NODE_BATCH)).rowcount, stale_before, pause)
        if policy.purge_before(now):
            counts["purged_nodes"] = self._in_batches(self._purge_nodes,
                                                      policy.purge_before(now), pause)
        return counts

    def _purge_nodes(self, db, cutoff: str) -> int:
        """One batch: reports of purgeable nodes (bounded as _delete_reports), or, once
        they have none left, up to NODE_BATCH of the nodes themselves. A report that
        reactivates a node between two batches keeps it and what is left of it.
        Returns the nodes deleted (-1 for a batch of reports only: more to do)."""
        purgeable = ("SELECT certname FROM pdb_certnames WHERE deactivated < ?1 "
                     "OR expired < ?1")
        if self._take_reports(db, f"SELECT hash, certname FROM pdb_reports WHERE certname IN "
                                  f"({purgeable}) LIMIT ?2", (cutoff, REPORT_BATCH)):
            return -1
        return db.conn.execute(f"DELETE FROM pdb_certnames WHERE certname IN ({purgeable} "
                               "LIMIT ?2)", (cutoff, NODE_BATCH)).rowcount

    def _in_batches(self, step, cutoff: str, pause: float) -> int:
        """`step(db, cutoff)` in its own write transaction until it deletes nothing.
        With `pause`, the collector then waits as long as the batch held the lock (and
        at least `pause`): at most half the lock's time, so writers queued behind it
        (SQLite's busy handler polls) get in between two batches."""
        total = 0
        while True:
            started = time.monotonic()
            with self.write() as db:
                done = step(db, cutoff)
            total += max(done, 0)       # -1: a batch that deleted something uncounted
            if not done:
                return total
            if pause:
                # The batch's pages go to the file now, off the write lock (PASSIVE never
                # blocks a writer), instead of in the commit of the request that crosses
                # the WAL's auto-checkpoint mark.
                self.db().conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                time.sleep(max(pause, time.monotonic() - started))

    # ------------------------------------------------------------ PuppetDB
    def _delete_events(self, db, cutoff: str) -> int:
        """A batch of events past their lifetime; the node summaries counting them
        (a latest report can outlive its events) are counted again."""
        rows = db.conn.execute("DELETE FROM pdb_events WHERE rowid IN (SELECT rowid FROM "
                               "pdb_events WHERE timestamp < ? LIMIT ?) RETURNING report",
                               (cutoff, EVENT_BATCH)).fetchall()
        self._recount(db, sorted({r for (r,) in rows}))
        return len(rows)

    def _recount(self, db, report_hashes: list[str]) -> None:
        # `+e.status`: counted through the primary key (report, seq), a report's few
        # rows; on `status` alone SQLite would pick pdb_events_by_status and walk every
        # event of that status (measured: 36 MB read per batch at 1M events).
        counts = ", ".join(
            f"{name} = (SELECT count(*) FROM pdb_events AS e "
            f"WHERE e.report = pdb_certnames.latest_report AND +e.status = '{status}')"
            for status, name in nodes.STATUS_COUNTS.items())
        db.conn.execute(f"UPDATE pdb_certnames SET {counts} WHERE latest_report IN "
                        "(SELECT value FROM json_each(?))", (json.dumps(report_hashes),))

    def _delete_reports(self, db, cutoff: str) -> int:
        """Reports past report-ttl, oldest first, with their events and details."""
        return self._take_reports(db, "SELECT hash, certname FROM pdb_reports WHERE "
                                      "latest_key < ? ORDER BY latest_key LIMIT ?",
                                  (cutoff, REPORT_BATCH))

    def _take_reports(self, db, query: str, params: tuple) -> int:
        """Delete the reports `query` lists (hash, certname), whole, up to about
        EVENT_BATCH events (at least one report, however large); the nodes whose
        latest report went get their newest surviving one. Returns how many."""
        rows, events = [], 0
        for report_hash, certname in db.conn.execute(query, params).fetchall():
            (count,) = db.conn.execute("SELECT count(*) FROM pdb_events WHERE report = ?",
                                       (report_hash,)).fetchone()
            if rows and events + count > EVENT_BATCH:
                break
            rows.append((report_hash, certname))
            events += count
        if not rows:
            return 0
        self._delete_report_rows(db, [h for h, _ in rows])
        self._repair_latest(db, sorted({c for _, c in rows}))
        return len(rows)

    def _delete_report_rows(self, db, hashes: list[str]) -> None:
        hashes_json = json.dumps(hashes)
        for table, column in (("pdb_events", "report"), ("pdb_report_details", "hash"),
                              ("pdb_reports", "hash")):
            db.conn.execute(f"DELETE FROM {table} WHERE {column} IN "
                            "(SELECT value FROM json_each(?))", (hashes_json,))

    def _repair_latest(self, db, certnames: list[str]) -> None:
        """Nodes whose latest report is gone: their newest surviving report (greatest
        key, then smallest hash: store_report's rule), or none."""
        for certname in certnames:
            row = db.conn.execute(
                "SELECT 1 FROM pdb_certnames AS c WHERE c.certname = ? AND NOT EXISTS "
                "(SELECT 1 FROM pdb_reports AS r WHERE r.hash = c.latest_report)",
                (certname,)).fetchone()
            if row is None:
                continue
            newest = db.conn.execute(
                "SELECT hash, latest_key FROM pdb_reports WHERE certname = ? "
                "ORDER BY latest_key DESC, hash ASC LIMIT 1", (certname,)).fetchone()
            if newest:
                db.conn.execute(
                    f"UPDATE pdb_certnames SET latest_report = ?, latest_key = ?, "
                    f"({', '.join(nodes.FROM_REPORT)}) = (SELECT "
                    f"{', '.join(nodes.FROM_REPORT.values())} FROM pdb_reports WHERE hash = ?) "
                    "WHERE certname = ?", (newest[0], newest[1], newest[0], certname))
                self._recount(db, [newest[0]])
            else:
                # No report left: the node keeps its state and the key of the report it
                # had (PuppetDB nulls latest_report_id, keeps latest_report_timestamp).
                cleared = [n for n in nodes.LATEST_FIELDS if n != "latest_report_hash"]
                db.conn.execute(
                    f"UPDATE pdb_certnames SET latest_report = NULL, "
                    f"{', '.join(n + ' = NULL' for n in cleared)} WHERE certname = ?",
                    (certname,))

    # ------------------------------------------------------------ orchestrator
    def _delete_jobs(self, db, cutoff: str) -> int:
        numbers = [n for (n,) in db.conn.execute(
            "SELECT number FROM jobs WHERE created_timestamp < ? ORDER BY number LIMIT ?",
            (cutoff, JOB_BATCH))]
        if not numbers:
            return 0
        wanted = json.dumps(numbers)
        self._freeze_job_commits(db, wanted)
        for table, column in (("job_events", "job"), ("job_nodes", "job"), ("jobs", "number")):
            db.conn.execute(f"DELETE FROM {table} WHERE {column} IN "
                            "(SELECT value FROM json_each(?))", (wanted,))
        db.conn.execute("INSERT INTO retention_marks (name, value) VALUES ('jobs', ?) "
                        "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                        (max(numbers),))
        return len(numbers)

    def _freeze_job_commits(self, db, numbers_json: str) -> None:
        """A pruned job's activity commits keep the run they showed last: their events
        are rewritten with its final state before the job's records go."""
        rows = db.conn.execute(
            "SELECT r.sequence, c.events, j.state, n.state, n.start_timestamp, "
            "n.finish_timestamp FROM activity_job_runs AS r "
            "JOIN activity_commits AS c ON c.sequence = r.sequence "
            "JOIN jobs AS j ON j.number = r.job "
            "LEFT JOIN job_nodes AS n ON n.job = r.job AND n.name = r.node "
            "WHERE r.job IN (SELECT value FROM json_each(?))", (numbers_json,)).fetchall()
        for sequence, events, job_state, node_state, start, finish in rows:
            node = JobNode("", node_state or "new", start_timestamp=start, finish_timestamp=finish)
            db.conn.execute("UPDATE activity_commits SET events = ? WHERE sequence = ?",
                            (json.dumps(current_events(json.loads(events), job_state, node)),
                             sequence))
        db.conn.execute("DELETE FROM activity_job_runs WHERE job IN "
                        "(SELECT value FROM json_each(?))", (numbers_json,))

    # ------------------------------------------------------------ activity
    def _delete_commits(self, db, cutoff: str) -> int:
        """The oldest commits by sequence, up to the first that has not expired: only
        a prefix of the submission order goes, so deleted commits are the first
        positions of every listing scope and offsets stay put (activity.py)."""
        rows = db.conn.execute("SELECT sequence, service_id, timestamp FROM activity_commits "
                               "ORDER BY sequence LIMIT ?", (COMMIT_BATCH,)).fetchall()
        expired = []
        for sequence, service_id, timestamp in rows:
            if timestamp >= cutoff:
                break
            expired.append((sequence, service_id))
        if not expired:
            return 0
        wanted = json.dumps([s for s, _ in expired])
        for table in ("activity_job_runs", "activity_objects", "activity_commits"):
            db.conn.execute(f"DELETE FROM {table} WHERE sequence IN "
                            "(SELECT value FROM json_each(?))", (wanted,))
        scopes: dict[str, int] = {"all": len(expired)}
        for _, service_id in expired:
            scopes["service:" + service_id] = scopes.get("service:" + service_id, 0) + 1
        db.conn.executemany(
            "INSERT INTO activity_deleted (scope, deleted) VALUES (?, ?) "
            "ON CONFLICT (scope) DO UPDATE SET deleted = deleted + excluded.deleted",
            sorted(scopes.items()))
        return len(expired)

    # ------------------------------------------------------------ space
    def _vacuum(self, pause: float) -> None:
        """Hand freed pages back to the file system (auto_vacuum = INCREMENTAL files)."""
        conn = self.db().conn
        (mode,) = conn.execute("PRAGMA auto_vacuum").fetchone()
        if mode != 2:
            return          # older files: the free list is reused by later writes
        while True:
            (free,) = conn.execute("PRAGMA freelist_count").fetchone()
            if not free:
                return
            conn.execute(f"PRAGMA incremental_vacuum({VACUUM_PAGES})").fetchall()
            if pause:
                time.sleep(pause)
