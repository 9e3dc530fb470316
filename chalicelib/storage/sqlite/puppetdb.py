"""PuppetDB reports and resource events in SQLite."""
from __future__ import annotations

from typing import Sequence

from ...paging import Page
from ...puppetdb.model import EVENT_FIELDS, Report
from ...query import sql
from ...query.ast import And, Match, Node, Not, Or

SCHEMA = """
CREATE TABLE IF NOT EXISTS pdb_reports (
    hash TEXT PRIMARY KEY,
    certname TEXT NOT NULL,
    latest_key TEXT NOT NULL            -- producer timestamp (v8) or end time (v2)
);
CREATE TABLE IF NOT EXISTS pdb_certnames (
    certname TEXT PRIMARY KEY,
    latest_report TEXT NOT NULL,
    latest_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pdb_events (
    report TEXT NOT NULL REFERENCES pdb_reports (hash),
    seq INTEGER NOT NULL,
    certname TEXT NOT NULL,
    configuration_version TEXT,
    status TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_title TEXT NOT NULL,
    property TEXT,
    new_value TEXT,                      -- canonical JSON text
    old_value TEXT,
    message TEXT,
    file TEXT,
    line INTEGER,
    containment_path TEXT,               -- JSON array
    containing_class TEXT,
    PRIMARY KEY (report, seq)
);
CREATE INDEX IF NOT EXISTS pdb_events_by_timestamp ON pdb_events (timestamp);
CREATE INDEX IF NOT EXISTS pdb_events_by_certname ON pdb_events (certname, timestamp);
CREATE INDEX IF NOT EXISTS pdb_events_by_status ON pdb_events (status, timestamp);
CREATE INDEX IF NOT EXISTS pdb_events_by_type ON pdb_events (resource_type, timestamp);
CREATE INDEX IF NOT EXISTS pdb_events_by_title ON pdb_events (resource_title);
CREATE INDEX IF NOT EXISTS pdb_events_by_property ON pdb_events (property);
CREATE INDEX IF NOT EXISTS pdb_events_by_class ON pdb_events (containing_class);
CREATE INDEX IF NOT EXISTS pdb_events_by_file ON pdb_events (file, line);
"""

_STORED = EVENT_FIELDS + ("seq",)
# Columns declared NOT NULL above: ordered without the NULLs-last term.
NOT_NULL = frozenset({"report", "seq", "certname", "status", "timestamp", "resource_type",
                      "resource_title"})
COLUMNS: dict[str, str] = {name: f"e.{name}" for name in _STORED}
# latest-report (notes 1.2): report IN (the latest reports); 1/0, never NULL.
COLUMNS["latest_report"] = "(e.report IN (SELECT latest_report FROM pdb_certnames))"
# A regex on certname runs on the distinct certnames (pdb_certnames has a row for the
# certname of every stored event, written in the report's transaction), not on every
# event: thousands of regex calls instead of millions, and the certname index serves
# the match. e.certname is NOT NULL, so the IN is two-valued like the leaf it replaces.
COLUMNS["certname_matching"] = sql.Column("pdb_certnames.certname", "related",
                                          ("e.certname", "certname"))


def _regex_on_certnames(node: Node) -> Node:
    """The filter with every `~` on certname evaluated against pdb_certnames."""
    if isinstance(node, Match) and node.field == "certname":
        return Match("certname_matching", node.pattern)
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_regex_on_certnames(t) for t in node.terms))
    if isinstance(node, Not):
        return Not(_regex_on_certnames(node.term))
    return node


class PuppetdbTables:
    def store_report(self, report: Report) -> bool:
        with self.write() as db:
            if db.execute("SELECT 1 FROM pdb_reports WHERE hash = ?", [report.hash]).fetchone():
                return False
            db.execute("INSERT INTO pdb_reports (hash, certname, latest_key) VALUES (?, ?, ?)",
                       [report.hash, report.certname, report.latest_key])
            if report.events:
                db.conn.executemany(
                    f"INSERT INTO pdb_events ({', '.join(_STORED)}) "
                    f"VALUES ({', '.join('?' * len(_STORED))})",
                    [[event[name] for name in _STORED] for event in report.events])
            # The latest report is the one with the greatest key (notes 2.2, strictly later).
            db.execute(
                "INSERT INTO pdb_certnames (certname, latest_report, latest_key) VALUES (?, ?, ?) "
                "ON CONFLICT (certname) DO UPDATE SET latest_report = excluded.latest_report, "
                "latest_key = excluded.latest_key WHERE excluded.latest_key > pdb_certnames.latest_key",
                [report.certname, report.hash, report.latest_key])
        return True

    def find_events(self, where: Node, order: Sequence[tuple[str, str]],
                    offset: int, limit: int | None) -> Page[dict]:
        clause, params = sql.where(_regex_on_certnames(where), COLUMNS)
        ordering = sql.order_by(order, COLUMNS, NOT_NULL)
        with self.snapshot() as db:
            total = db.execute(f"SELECT count(*) FROM pdb_events AS e WHERE {clause}",
                               params).fetchone()[0]
            cursor = db.execute(
                f"SELECT {', '.join(COLUMNS[n] for n in _STORED)} FROM pdb_events AS e "
                f"WHERE {clause} ORDER BY {ordering} LIMIT ? OFFSET ?",
                params + [-1 if limit is None else limit, offset])
            rows = [dict(zip(_STORED, row)) for row in cursor.fetchall()]
        return Page(rows, total, limit, offset)
