"""A SQLite file written before the v4 columns existed opens, upgrades in place and
serves v4 queries (SQLite only: DynamoDB items have no schema)."""
from __future__ import annotations

import sqlite3

from chalicelib.puppetdb import demo, v4query
from chalicelib.puppetdb.v4fields import EVENTS, REPORTS
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
        old = store.find_reports(v4query.parse(["=", "hash", "old"], REPORTS),
                                   REPORTS.tiebreak, 0, None).items
        assert old[0]["certname"] == "old.example" and old[0]["metrics"] is None
        events = store.find_events(v4query.parse(["null?", "name", True], EVENTS),
                                   EVENTS.tiebreak, 0, None).items
        assert {e["report"] for e in events} == {"old", b1.hash}
    finally:
        store.close()
