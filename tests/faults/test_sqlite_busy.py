"""SQLite: a write that cannot get the write lock within the busy timeout is
StoreBusy (503), has stored nothing, and succeeds once the lock is free."""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from chalicelib.query.ast import EVERYTHING
from chalicelib.storage.base import StoreBusy
from chalicelib.storage.sqlite import SqliteStorage
from chalicelib.storage.sqlite import connection as sqlite_connection
from tests import payloads
from tests.factories import new_job


@pytest.fixture
def locked(tmp_path, monkeypatch):
    """A SQLite store whose file another connection holds the write lock on."""
    monkeypatch.setattr(sqlite_connection, "BUSY_TIMEOUT_SECONDS", 0.01)
    store = SqliteStorage(str(tmp_path / "events.db"))
    with closing(sqlite3.connect(tmp_path / "events.db", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        yield store, other
    store.close()


def test_a_write_kept_from_the_lock_is_busy_and_stores_nothing(locked):
    store, other = locked
    with pytest.raises(StoreBusy):
        store.create_job(new_job())
    other.execute("ROLLBACK")
    assert store.create_job(new_job()).number == 1
    assert store.list_jobs(EVERYTHING, "name", "asc", 10, 0).total == 1


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_over_http_it_is_a_503_with_retry_after(client, store, tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_connection, "BUSY_TIMEOUT_SECONDS", 0.01)
    store.close()                   # reconnect with the short timeout
    with closing(sqlite3.connect(store.path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        response = client.http.post("/activity-api/v2/events", headers=payloads.JSON,
                                    body=json.dumps(payloads.commit("alice")))
        other.execute("ROLLBACK")
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert json.loads(response.body)["kind"] == "puppetlabs.activity/service-unavailable"
