"""Webhook subscriptions in SQLite: subscriptions, the outbox and deliveries
(docs/subscriptions.md).

The outbox is written inside the write transaction that stores the data
(`enqueue_*`, one call in store_report, _insert_commit and append_job_events), so a
record is queued exactly when it is stored: a rolled-back write queues nothing, a
committed one cannot lose its events to a crash. Rows are written only when some
subscription names the source: one primary-key lookup in the same transaction,
which also makes the check exact (a subscription committed before the write is
always seen). The dispatcher (subscriptions/dispatcher.py) turns outbox rows into
deliveries, in one transaction that deletes them, and removes each delivery once
its receiver has answered 2xx.
"""
from __future__ import annotations

import json
from typing import Callable, Iterable

from ...subscriptions import model, records
from ...subscriptions.model import Delivery, Subscription

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    sources TEXT NOT NULL,              -- JSON array
    filters TEXT NOT NULL,              -- JSON object: source -> query
    description TEXT NOT NULL,
    created TEXT NOT NULL,
    salt TEXT NOT NULL                  -- the secret is derived from it (never stored)
);
CREATE TABLE IF NOT EXISTS subscription_sources (
    source TEXT NOT NULL,
    subscription TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    PRIMARY KEY (source, subscription)
);
CREATE TABLE IF NOT EXISTS subscription_outbox (
    id INTEGER PRIMARY KEY,             -- max + 1: later rows sort after every row present
    source TEXT NOT NULL,
    record TEXT NOT NULL                -- JSON (subscriptions/records.py)
);
CREATE TABLE IF NOT EXISTS subscription_deliveries (
    webhook_id TEXT PRIMARY KEY,
    subscription TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    seq TEXT NOT NULL,
    body TEXT NOT NULL,                 -- the CloudEvent, fixed for every attempt
    created REAL NOT NULL,              -- epoch seconds
    next_attempt REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    failed REAL                         -- set: a dead letter
);
CREATE INDEX IF NOT EXISTS subscription_deliveries_by_group
    ON subscription_deliveries (subscription, source, key, seq) WHERE failed IS NULL;
CREATE INDEX IF NOT EXISTS subscription_dead_letters
    ON subscription_deliveries (subscription, failed) WHERE failed IS NOT NULL;
"""

_COLUMNS = ("webhook_id", "subscription", "source", "key", "seq", "body", "created",
            "next_attempt", "attempts", "last_error", "failed")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM subscription_deliveries"


def _subscribed(db, source: str) -> bool:
    return db.conn.execute("SELECT 1 FROM subscription_sources WHERE source = ? LIMIT 1",
                           (source,)).fetchone() is not None


def enqueue(db, source: str, build: Callable[[], Iterable[dict]]) -> None:
    """Queue `build()`'s records of `source` in the caller's write transaction, when
    some subscription names the source (else `build` is not even called)."""
    if _subscribed(db, source):
        db.conn.executemany("INSERT INTO subscription_outbox (source, record) VALUES (?, ?)",
                            [(source, records.dumps(r)) for r in build()])


def enqueue_report(db, report) -> None:
    """A stored report's puppetdb.report record and its puppetdb.event records."""
    wanted = {row[0] for row in db.conn.execute(
        "SELECT DISTINCT source FROM subscription_sources WHERE source IN (?, ?)",
        (model.REPORT, model.EVENT))}
    if not wanted:
        return
    report_record = records.from_report(report)
    rows = []
    if model.REPORT in wanted:
        rows.append((model.REPORT, records.dumps(report_record)))
    if model.EVENT in wanted:
        rows.extend((model.EVENT, records.dumps(r))
                    for r in records.event_records(report.events, report_record["order_key"]))
    db.conn.executemany("INSERT INTO subscription_outbox (source, record) VALUES (?, ?)", rows)


def _subscription(row) -> Subscription:
    return Subscription(id=row[0], url=row[1], sources=tuple(json.loads(row[2])),
                        filters=json.loads(row[3]), description=row[4], created=row[5],
                        salt=row[6])


def _delivery(row) -> Delivery:
    return Delivery(webhook_id=row[0], subscription_id=row[1], source=row[2], key=row[3],
                    seq=row[4], body=row[5], created=row[6], next_attempt=row[7],
                    attempts=row[8], last_error=row[9], failed=row[10])


class SubscriptionTables:
    def add_subscription(self, subscription: Subscription) -> None:
        with self.write() as db:
            db.conn.execute("INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (subscription.id, subscription.url, json.dumps(list(subscription.sources)),
                             json.dumps(dict(subscription.filters)), subscription.description,
                             subscription.created, subscription.salt))
            db.conn.executemany("INSERT INTO subscription_sources VALUES (?, ?)",
                                [(s, subscription.id) for s in subscription.sources])

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        row = self.db().conn.execute("SELECT * FROM subscriptions WHERE id = ?",
                                     (subscription_id,)).fetchone()
        return _subscription(row) if row else None

    def list_subscriptions(self) -> list[Subscription]:
        rows = self.db().conn.execute("SELECT * FROM subscriptions ORDER BY created, id")
        return [_subscription(r) for r in rows]

    def delete_subscription(self, subscription_id: str) -> bool:
        with self.write() as db:      # its deliveries and dead letters go with it (CASCADE)
            return db.conn.execute("DELETE FROM subscriptions WHERE id = ?",
                                   (subscription_id,)).rowcount > 0

    # ------------------------------------------------------------- outbox
    def take_outbox(self, limit: int) -> list[tuple[int, model.SourceRecord]]:
        rows = self.db().conn.execute(
            "SELECT id, source, record FROM subscription_outbox ORDER BY id LIMIT ?", (limit,))
        return [(r[0], model.SourceRecord(r[1], json.loads(r[2]))) for r in rows]

    def fanned_out(self, outbox_ids: list[int], deliveries: list[Delivery]) -> None:
        """Store the deliveries made from outbox rows and delete those rows, together.
        A repeat (a crash between the two) adds nothing: the webhook-id is the key."""
        with self.write() as db:
            self._insert(db, deliveries)
            db.conn.executemany("DELETE FROM subscription_outbox WHERE id = ?",
                                [(i,) for i in outbox_ids])

    def outbox_size(self) -> int:
        return self.db().conn.execute("SELECT count(*) FROM subscription_outbox").fetchone()[0]

    # ------------------------------------------------------------- deliveries
    def queue_deliveries(self, deliveries: list[Delivery]) -> None:
        with self.write() as db:
            self._insert(db, deliveries)

    @staticmethod
    def _insert(db, deliveries: list[Delivery]) -> None:
        db.conn.executemany(
            "INSERT OR IGNORE INTO subscription_deliveries (webhook_id, subscription, source, key, "
            "seq, body, created, next_attempt, attempts, last_error, failed) "
            "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS "
            "(SELECT 1 FROM subscriptions WHERE id = ?)",
            [(d.webhook_id, d.subscription_id, d.source, d.key, d.seq, d.body, d.created,
              d.next_attempt, d.attempts, d.last_error, d.failed, d.subscription_id)
             for d in deliveries])

    def due_deliveries(self, now: float, groups: int, per_group: int) -> list[list[Delivery]]:
        """Groups whose first pending delivery is due, each its first `per_group`
        pending deliveries in order."""
        conn = self.db().conn
        heads = conn.execute(
            "SELECT d.subscription, d.source, d.key FROM subscription_deliveries AS d "
            "WHERE d.failed IS NULL AND d.next_attempt <= ? AND d.seq = (SELECT min(seq) "
            "FROM subscription_deliveries AS h WHERE h.failed IS NULL AND h.subscription = "
            "d.subscription AND h.source = d.source AND h.key = d.key) LIMIT ?",
            (now, groups)).fetchall()
        found = []
        for subscription, source, key in heads:
            rows = conn.execute(_SELECT + " WHERE failed IS NULL AND subscription = ? AND "
                                "source = ? AND key = ? ORDER BY seq LIMIT ?",
                                (subscription, source, key, per_group)).fetchall()
            found.append([_delivery(r) for r in rows])
        return found

    def next_attempt_time(self) -> float | None:
        row = self.db().conn.execute("SELECT min(next_attempt) FROM subscription_deliveries "
                                     "WHERE failed IS NULL").fetchone()
        return row[0]

    def finish_deliveries(self, deliveries: list[Delivery]) -> None:
        """Remove delivered (or orphaned) deliveries, in one transaction."""
        with self.write() as db:
            db.conn.executemany("DELETE FROM subscription_deliveries WHERE webhook_id = ?",
                                [(d.webhook_id,) for d in deliveries])

    def retry_delivery(self, delivery: Delivery) -> None:
        with self.write() as db:
            db.conn.execute("UPDATE subscription_deliveries SET attempts = ?, next_attempt = ?, "
                            "last_error = ? WHERE webhook_id = ?",
                            (delivery.attempts, delivery.next_attempt, delivery.last_error,
                             delivery.webhook_id))

    def dead_letter(self, delivery: Delivery) -> None:
        with self.write() as db:
            db.conn.execute("UPDATE subscription_deliveries SET attempts = ?, last_error = ?, "
                            "failed = ? WHERE webhook_id = ?",
                            (delivery.attempts, delivery.last_error, delivery.failed,
                             delivery.webhook_id))

    def dead_letters(self, subscription_id: str) -> list[Delivery]:
        rows = self.db().conn.execute(_SELECT + " WHERE subscription = ? AND failed IS NOT NULL "
                                      "ORDER BY failed, seq", (subscription_id,))
        return [_delivery(r) for r in rows]

    def replay_dead_letters(self, subscription_id: str, ids: list[str] | None,
                            now: float) -> list[str]:
        """Dead letters (all, or those of `ids`) pending again: attempts from 0, the
        horizon from now, the same id and body. The ids replayed."""
        with self.write() as db:
            chosen = [d.webhook_id for d in self.dead_letters(subscription_id)
                      if ids is None or d.webhook_id in ids]
            db.conn.executemany(
                "UPDATE subscription_deliveries SET failed = NULL, attempts = 0, created = ?, "
                "next_attempt = ?, last_error = NULL WHERE webhook_id = ?",
                [(now, now, i) for i in chosen])
        return chosen
