"""Per-thread SQLite connections (chalice local serves each request on a thread).

WAL lets readers run beside the one writer. Writes take the write lock up front
(`BEGIN IMMEDIATE`) so a read-then-write transaction never fails halfway on a
lock upgrade; reads that need a consistent snapshot use `BEGIN`.
"""
from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import sqlite_utils

from ...query import budget, regex
from ..base import StoreBusy

BUSY_TIMEOUT_SECONDS = 30
# How often a writer waiting for the write lock tries again. SQLite's own busy handler
# backs off to 100 ms sleeps, so a waiter can sleep through many short holds (the
# retention collector's batches): polling every millisecond, a writer gets the lock
# within about one batch (docs/performance.md, "Retention").
LOCK_POLL_SECONDS = 0.001
BULK_CACHE_KIB = -65536      # PRAGMA cache_size: negative = KiB (64 MB)
# SQLite VM instructions between two deadline checks: a Python call per ~10k
# instructions costs nothing measurable, and a check comes every few milliseconds.
PROGRESS_STEPS = 10_000


# A NamedTuple record from its fields in order, as its `_make` does but without a
# Python call per row: a page holds up to 1,000 rows, and a call per row costs as much
# as SQLite's fetch of it (docs/performance.md, round 3).
new_record = tuple.__new__


def _regexp(pattern: str, value: object) -> int:
    # SQLite calls regexp(pattern, value) for `value REGEXP pattern`.
    return 1 if regex.search(pattern, value) else 0


def create_private(path: str) -> None:
    """A new store's directory (0700) and file (0600), readable by their owner only:
    the file holds events and token hashes, and SQLite creates the -wal and -shm files
    with the database file's mode. Existing ones are left as they are."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


class Connections:
    schema: str = ""   # DDL of every table, joined from the domain mixins
    upgrades: tuple = ()   # functions(conn) that bring an older file up to the schema
    late_schema: str = ""  # DDL run after the upgrades

    def __init__(self, path: str):
        self.path = path
        create_private(path)
        self._local = threading.local()
        db = self.db()
        # Only a file without tables takes it: freed pages can then be handed back
        # (storage/sqlite/retention.py); older files reuse them from the free list.
        db.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.enable_wal()
        db.conn.executescript(self.schema)
        for upgrade in self.upgrades:
            upgrade(db.conn)
        db.conn.executescript(self.late_schema)

    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS,
                                   isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            db = sqlite_utils.Database(conn)
            db.register_function(_regexp, deterministic=True, name="regexp")
            self._local.db = db
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One atomic write: everything inside is committed together or not at all."""
        db = self.db()
        if getattr(self._local, "bulk", False):
            yield db          # part of the enclosing bulk() transaction
            return
        try:
            _begin_immediate(db.conn)
        except sqlite3.OperationalError as error:
            # Another writer held the lock for the whole busy timeout: nothing was done.
            if _is_busy(error):
                raise StoreBusy(f"SQLite: {error}") from error
            raise
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Many writes in one transaction (bulk loads, benchmarks): each write()
        inside joins it, so the batch commits (and fsyncs) once. All or nothing.
        The page cache is raised meanwhile: index inserts of a large load thrash the
        default 2 MB cache (docs/performance.md, "Ingest")."""
        conn = self.db().conn
        (previous,) = conn.execute("PRAGMA cache_size").fetchone()
        conn.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
        try:
            with self.write():
                self._local.bulk = True
                try:
                    yield
                finally:
                    self._local.bulk = False
        finally:
            conn.execute(f"PRAGMA cache_size = {int(previous)}")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite_utils.Database]:
        """Several reads that see one state of the database."""
        db = self.db()
        if db.conn.in_transaction:
            yield db
            return
        db.conn.execute("BEGIN")
        try:
            yield db
        finally:
            if db.conn.in_transaction:
                db.conn.execute("COMMIT")

    @contextmanager
    def bounded(self) -> Iterator[None]:
        """The reads inside stop at the request's deadline (query/budget.py): a
        progress handler interrupts the running statement, which raises
        QueryTooExpensive. Only reads are armed: a write is never cut halfway
        by a clock (its cost is bounded by the write caps)."""
        allowance = budget.current()
        if allowance is None or allowance.deadline is None:
            yield
            return
        conn = self.db().conn
        conn.set_progress_handler(allowance.expired, PROGRESS_STEPS)
        try:
            yield
        except sqlite3.OperationalError as error:
            if str(error) == "interrupted" and allowance.expired():
                raise allowance.too_slow() from None
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _begin_immediate(conn) -> None:
    """BEGIN IMMEDIATE, retried every LOCK_POLL_SECONDS up to the busy timeout (the
    connection's own busy handler is off meanwhile, see LOCK_POLL_SECONDS)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(LOCK_POLL_SECONDS)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")


def bounded_read(method):
    """A storage method whose reads stop at the request's deadline (Connections.bounded)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.bounded():
            return method(self, *args, **kwargs)
    return wrapper
