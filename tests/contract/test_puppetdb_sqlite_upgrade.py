"""A SQLite file written before the v4 columns existed opens, upgrades in place and
serves v4 queries (SQLite only: DynamoDB items have no schema)."""
from __future__ import annotations

import sqlite3

from chalicelib.puppetdb import demo
from chalicelib.puppetdb.dialects import v4
from chalicelib.puppetdb.catalogue import EVENTS, REPORTS
from chalicelib.query.ast import EVERYTHING
from chalicelib.storage.sqlite import SqliteStorage

OLD_SCHEMA = """
CREATE TABLE pdb_reports (hash TEXT PRIMARY KEY, certname TEXT NOT NULL, latest_key TEXT NOT NULL);
CREATE TABLE pdb_certnames (certname TEXT PRIMARY KEY, latest_report TEXT NOT NULL,
                            latest_key TEXT NOT NULL);
CREATE TABLE pdb_events (
    report TEXT NOT NULL REFERENCES pdb_reports (hash), seq INTEGER NOT NULL,
    certname TEXT NOT NULL, configuration_version TEXT, status TEXT NOT NULL,
    timestamp TEXT NOT NULL, resource_type TEXT NOT NULL, resource_title TEXT NOT NULL,
    property TEXT, new_value TEXT, old_value TEXT, message TEXT, file TEXT, line INTEGER,
    containment_path TEXT, containing_class TEXT, PRIMARY KEY (report, seq));
INSERT INTO pdb_reports VALUES ('old', 'old.example', '2020-01-01T00:00:00.000000Z');
INSERT INTO pdb_events (report, seq, certname, status, timestamp, resource_type, resource_title)
    VALUES ('old', 0, 'old.example', 'success', '2020-01-01T00:00:00.000000Z', 'Notify', 'x');
"""


def test_an_older_file_gains_the_v4_columns_and_keeps_its_data(tmp_path):
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    store = SqliteStorage(str(path))
    try:
        b1, _ = demo.example_reports()
        assert store.store_report(b1)
        old = store.find_reports(v4.parse(["=", "hash", "old"], REPORTS),
                                   REPORTS.tiebreak, 0, None).items
        assert old[0]["certname"] == "old.example" and old[0]["metrics"] is None
        events = store.find_events(v4.parse(["null?", "name", True], EVENTS),
                                   EVENTS.tiebreak, 0, None).items
        assert {e["report"] for e in events} == {"old", b1.hash}
    finally:
        store.close()


def test_an_older_files_microsecond_times_are_truncated_to_milliseconds_once(tmp_path):
    """Issue 13: PuppetDB keeps milliseconds; a file written with microseconds is
    upgraded in place, so `=` on the millisecond an event is answered with finds it."""
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA.replace("2020-01-01T00:00:00.000000Z",
                                              "2020-01-01T00:00:00.123456Z"))
    store = SqliteStorage(str(path))
    try:
        found = store.find_events(
            v4.parse(["=", "timestamp", "2020-01-01T00:00:00.123Z"], EVENTS),
            EVENTS.tiebreak, 0, None).items
        assert [e["timestamp"] for e in found] == ["2020-01-01T00:00:00.123000Z"]
        (latest_key,) = store.db().conn.execute("SELECT latest_key FROM pdb_reports").fetchone()
        assert latest_key == "2020-01-01T00:00:00.123000Z"
    finally:
        store.close()
    with sqlite3.connect(path) as conn:     # a later write with microseconds stays as written
        conn.execute("UPDATE pdb_events SET timestamp = '2020-01-01T00:00:00.999999Z'")
    reopened = SqliteStorage(str(path))
    try:
        (stamp,) = reopened.db().conn.execute("SELECT timestamp FROM pdb_events").fetchone()
        assert stamp == "2020-01-01T00:00:00.999999Z"       # the upgrade ran once only
    finally:
        reopened.close()


def test_an_older_file_gets_every_nodes_summary_from_its_stored_reports(tmp_path):
    """Issue 15: the node table is rebuilt once in its summary shape and filled from
    the stored reports; a node without a pdb_certnames row (OLD_SCHEMA's) gets one."""
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    first = SqliteStorage(str(path))     # the v4 columns, then a node written the old way
    try:
        b1, b2 = demo.example_reports()
        first.store_report(b1)
        first.store_report(b2)
    finally:
        first.close()
    with sqlite3.connect(path) as conn:  # back to the file an older version leaves
        conn.executescript(
            "DELETE FROM pdb_upgrades WHERE name = 'node-summary';"
            "DROP TABLE pdb_certnames; DROP TABLE pdb_environments;"
            "UPDATE pdb_reports SET environment = 'legacy', status = 'changed' WHERE hash = 'old';"
            "CREATE TABLE pdb_certnames (certname TEXT PRIMARY KEY, latest_report TEXT NOT NULL,"
            " latest_key TEXT NOT NULL);")
        latest = max((b1, b2), key=lambda r: (r.latest_key, r.hash))
        conn.execute("INSERT INTO pdb_certnames VALUES (?, ?, ?)",
                     (latest.certname, latest.hash, latest.latest_key))
    store = SqliteStorage(str(path))
    try:
        found = {n["certname"]: n for n in store.find_nodes(
            EVERYTHING, (("certname", "asc"),), 0, None).items}
        assert set(found) == {"old.example", latest.certname}
        assert found["old.example"]["latest_report_hash"] == "old"
        assert found["old.example"]["successes"] == 1
        assert found["old.example"]["latest_report_status"] == "changed"
        summary = found[latest.certname]
        assert summary["latest_report_hash"] == latest.hash
        assert summary["latest_report_status"] == latest.summary["status"]
        assert summary["report_timestamp"] == latest.summary["end_time"]
        statuses = [e["status"] for e in latest.events]
        assert (summary["successes"], summary["failures"], summary["noops"], summary["skips"]) \
            == tuple(statuses.count(s) for s in ("success", "failure", "noop", "skipped"))
        assert [e["name"] for e in store.find_environments(
            EVERYTHING, (("name", "asc"),), 0, None).items] == ["legacy"]
        # latest_report is nullable now: a node known only from `deactivate node`
        assert store.deactivate_node("ghost.example", "2026-01-01T00:00:00.000000Z")
    finally:
        store.close()
