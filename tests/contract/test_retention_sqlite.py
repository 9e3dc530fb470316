"""The SQLite collector's own promises (issue 16): it deletes in small batches, each
its own transaction, so a writer waits at most one batch; and the file stops growing
when as much expires as arrives (freed pages handed back, or reused)."""
from __future__ import annotations

import sqlite3

from chalicelib.storage.sqlite import SqliteStorage
from chalicelib.storage.sqlite import retention as collector
from tests.retention_factories import DAY, T0, Clock, lifetimes, report


def _fill(store, first_day, nodes=30, events=60):
    for n in range(nodes):
        store.store_report(report(f"retention-f{n}.example", T0 + first_day * DAY, events=events))


def test_events_are_deleted_in_batches_each_in_its_own_transaction(tmp_path, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_RESOURCE_EVENTS_TTL="2d")
    clock = Clock(monkeypatch)
    store = SqliteStorage(str(tmp_path / "events.db"))
    _fill(store, 0, nodes=25, events=60)                 # 1,500 events
    transactions, write = [], store.write

    def counted_write():
        transactions.append(1)
        return write()
    monkeypatch.setattr(store, "write", counted_write)
    deleted = []
    original = collector.RetentionTables._delete_events
    monkeypatch.setattr(collector.RetentionTables, "_delete_events",
                        lambda self, db, cutoff: deleted.append(original(self, db, cutoff))
                        or deleted[-1])
    clock.now = T0 + 4 * DAY
    assert store.collect_garbage(clock.now, policy)["events"] == 1500
    assert max(deleted) <= collector.EVENT_BATCH and len(deleted) >= 1500 // collector.EVENT_BATCH
    assert len(transactions) >= len(deleted)


def test_a_new_file_hands_freed_pages_back(tmp_path, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    path = tmp_path / "events.db"
    store = SqliteStorage(str(path))
    _fill(store, 0)
    clock.now = T0 + 16 * DAY
    store.collect_garbage(clock.now, policy)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2      # INCREMENTAL
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0


def test_an_older_file_reuses_freed_pages_at_steady_state(tmp_path, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    path = tmp_path / "events.db"
    sqlite3.connect(path).executescript("PRAGMA journal_mode=WAL; CREATE TABLE t (x);")
    store = SqliteStorage(str(path))         # made before: auto_vacuum stays NONE
    pages = []
    for day in range(0, 160, 16):            # a batch arrives as the one before expires
        clock.now = T0 + day * DAY
        _fill(store, day)
        store.collect_garbage(clock.now + 15 * DAY, policy)
        pages.append(store.db().conn.execute("PRAGMA page_count").fetchone()[0])
    assert store.db().conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    assert len(set(pages[-5:])) == 1, pages        # it stopped growing


def test_a_purged_node_s_reports_go_in_bounded_batches(tmp_path, monkeypatch):
    """A node purged with many reports is deleted over several transactions, none
    with more than about a batch of events."""
    policy = lifetimes(monkeypatch, EVENTS_REPORT_TTL="0", EVENTS_RESOURCE_EVENTS_TTL="0")
    clock = Clock(monkeypatch)
    store = SqliteStorage(str(tmp_path / "events.db"))
    for n in range(12):
        store.store_report(report("retention-big.example", T0 + n * 60 * DAY / 1440, events=50))
    store.deactivate_node("retention-big.example", "2026-11-02T00:00:00.000000Z")
    taken = []
    original = collector.RetentionTables._take_reports
    monkeypatch.setattr(collector.RetentionTables, "_take_reports",
                        lambda self, db, query, params: taken.append(
                            original(self, db, query, params)) or taken[-1])
    clock.now = T0 + 20 * DAY
    assert store.collect_garbage(clock.now, policy)["purged_nodes"] == 1
    assert [t for t in taken if t] == [collector.EVENT_BATCH // 50] * 3     # 12 reports
