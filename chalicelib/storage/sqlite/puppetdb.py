"""PuppetDB reports and resource events in SQLite."""
from __future__ import annotations

from typing import Sequence

from ...paging import Page
from ...puppetdb import nodes
from ...puppetdb.catalogue import EVENT_FIELDS, REPORT_DETAILS, REPORT_FIELDS
from ...puppetdb.model import Report
from ...query import sql
from ...query.ast import And, Match, Node, Not, Or
from .connection import bounded_read

# One row per node (puppetdb/nodes.py): the latest report's summary and the node's
# state, next to the latest report the table always held. A node known only from a
# `deactivate node` has no latest report: older files, whose latest_report and
# latest_key are NOT NULL, are rebuilt once (SQLite cannot drop a NOT NULL by ALTER).
_SUMMARY_TYPES = {name: "INTEGER" if name in nodes.NODE_BOOLEANS + nodes.COUNT_FIELDS else "TEXT"
                  for name in nodes.NODE_FIELDS
                  if name not in ("certname", "latest_report_hash")}
NODE_TABLE = ("CREATE TABLE IF NOT EXISTS pdb_certnames (certname TEXT PRIMARY KEY, latest_report TEXT, "
              "latest_key TEXT, "
              + ", ".join(f"{name} {kind}" for name, kind in _SUMMARY_TYPES.items()) + ")")
NODE_SUMMARY = "node-summary"

SCHEMA = NODE_TABLE + """;
CREATE TABLE IF NOT EXISTS pdb_reports (
    hash TEXT PRIMARY KEY,
    certname TEXT NOT NULL,
    latest_key TEXT NOT NULL            -- producer timestamp (v8) or end time (v2)
);
CREATE TABLE IF NOT EXISTS pdb_environments (
    name TEXT PRIMARY KEY
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
CREATE TABLE IF NOT EXISTS pdb_report_details (
    hash TEXT PRIMARY KEY REFERENCES pdb_reports (hash),
    metrics TEXT NOT NULL,               -- canonical JSON arrays
    logs TEXT NOT NULL
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

# Columns added for the v4 API (notes 3), by ALTER TABLE so older files upgrade in place.
ADDED_COLUMNS = {
    "pdb_events": {"name": "TEXT", "corrective_change": "INTEGER", "environment": "TEXT",
                   "run_start_time": "TEXT", "run_end_time": "TEXT",
                   "report_receive_time": "TEXT"},
    "pdb_reports": {name: "INTEGER" if name in ("report_format", "noop", "noop_pending",
                                                "corrective_change") else "TEXT"
                    for name in REPORT_FIELDS if name not in ("hash", "certname")},
}
INDEXES_AFTER_UPGRADE = """
CREATE INDEX IF NOT EXISTS pdb_certnames_by_status ON pdb_certnames (latest_report_status);
CREATE INDEX IF NOT EXISTS pdb_certnames_by_report_time ON pdb_certnames (report_timestamp);
CREATE INDEX IF NOT EXISTS pdb_reports_by_certname ON pdb_reports (certname, producer_timestamp);
CREATE INDEX IF NOT EXISTS pdb_reports_by_time ON pdb_reports (producer_timestamp);
"""
_BOOLEAN = ("noop", "noop_pending", "corrective_change")


# Every stored PuppetDB time: kept to the millisecond since issue 13 (PuppetDB keeps
# no finer; timestamps.stored_millis). Older files may hold microseconds.
TIME_COLUMNS = {
    "pdb_events": ("timestamp", "run_start_time", "run_end_time", "report_receive_time"),
    "pdb_reports": ("latest_key", "start_time", "end_time", "producer_timestamp",
                    "receive_time"),
    "pdb_certnames": ("latest_key", "report_timestamp", "latest_report_producer_timestamp",
                      "deactivated", "expired"),
}
MILLISECONDS = "millisecond-times"


def upgrade(conn) -> None:
    """Bring a file made by an older version up to date: add the columns it lacks,
    truncate its times to the millisecond once, and give every node its summary once
    (each recorded in pdb_upgrades)."""
    for table, columns in ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    conn.execute("CREATE TABLE IF NOT EXISTS pdb_upgrades (name TEXT PRIMARY KEY)")
    if not conn.execute("SELECT 1 FROM pdb_upgrades WHERE name = ?", (NODE_SUMMARY,)).fetchone():
        _summarise_nodes(conn)
    conn.executescript(INDEXES_AFTER_UPGRADE)
    if conn.execute("SELECT 1 FROM pdb_upgrades WHERE name = ?", (MILLISECONDS,)).fetchone():
        return
    conn.execute("BEGIN IMMEDIATE")       # one writer; all of it or none
    try:
        for table, columns in TIME_COLUMNS.items():
            for column in columns:
                # The stored form is fixed width: characters 24-26 are the microseconds.
                conn.execute(f"UPDATE {table} SET {column} = substr({column}, 1, 23) || "
                             f"'000Z' WHERE length({column}) = 27 "
                             f"AND substr({column}, 24, 3) <> '000'")
        conn.execute("INSERT OR IGNORE INTO pdb_upgrades (name) VALUES (?)", (MILLISECONDS,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _summarise_nodes(conn) -> None:
    """The node table in its summary shape, filled from the stored reports: each
    node's latest report (the greatest key, then the smaller hash, as store_report
    keeps it; also for certnames an older file left without a row), its fields and
    its events counted by status; and the environments of the stored reports.
    One transaction: a file is upgraded whole or not at all."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if any(row[1] == "latest_report" and row[3]
               for row in conn.execute("PRAGMA table_info(pdb_certnames)")):
            conn.execute("ALTER TABLE pdb_certnames RENAME TO pdb_certnames_before")
            conn.execute(NODE_TABLE)
            conn.execute(
                "INSERT INTO pdb_certnames (certname, latest_report, latest_key) "
                "SELECT certname, latest_report, latest_key FROM pdb_certnames_before")
            conn.execute("DROP TABLE pdb_certnames_before")
        conn.execute(
            "INSERT INTO pdb_certnames (certname, latest_report, latest_key) "
            "SELECT certname, hash, latest_key FROM (SELECT certname, hash, latest_key, "
            "row_number() OVER (PARTITION BY certname ORDER BY latest_key DESC, hash) AS n "
            "FROM pdb_reports WHERE certname NOT IN (SELECT certname FROM pdb_certnames)) "
            "WHERE n = 1")
        conn.execute(f"UPDATE pdb_certnames SET ({', '.join(nodes.FROM_REPORT)}) = "
                     f"(SELECT {', '.join(nodes.FROM_REPORT.values())} FROM pdb_reports "
                     "WHERE hash = pdb_certnames.latest_report)")
        counts = ", ".join(
            f"{name} = (SELECT count(*) FROM pdb_events AS e "
            f"WHERE e.report = pdb_certnames.latest_report AND e.status = '{status}')"
            for status, name in nodes.STATUS_COUNTS.items())
        conn.execute(f"UPDATE pdb_certnames SET {counts}")
        conn.execute("INSERT OR IGNORE INTO pdb_environments (name) SELECT DISTINCT environment "
                     "FROM pdb_reports WHERE environment IS NOT NULL")
        conn.execute("INSERT OR IGNORE INTO pdb_upgrades (name) VALUES (?)", (NODE_SUMMARY,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# Node summary columns: the port's names (puppetdb/nodes.py), the hash in latest_report.
NODE_COLUMNS: dict[str, str] = {name: f"c.{name}" for name in nodes.NODE_FIELDS}
NODE_COLUMNS["latest_report_hash"] = "c.latest_report"
_LATEST_COLUMNS = ["latest_report" if n == "latest_report_hash" else n
                   for n in nodes.LATEST_FIELDS]
ENVIRONMENT_COLUMNS = {"name": "v.name"}

_STORED = EVENT_FIELDS + ("seq",)
# Columns declared NOT NULL above: ordered without the NULLs-last term.
NOT_NULL = frozenset({"report", "seq", "certname", "status", "timestamp", "resource_type",
                      "resource_title"})
COLUMNS: dict[str, str | sql.Column] = {name: f"e.{name}" for name in _STORED}
# v4: `=`, `~` and `in` on the path hold when any element does (notes 3).
COLUMNS["containment_path"] = sql.Column("e.containment_path", "array")
# latest-report (notes 1.2): report IN (the latest reports); 1/0, never NULL.
# (A node known only from `deactivate node` has a NULL latest_report: kept out, so
# the IN stays two-valued.)
LATEST_REPORTS = "(SELECT latest_report FROM pdb_certnames WHERE latest_report IS NOT NULL)"
COLUMNS["latest_report"] = f"(e.report IN {LATEST_REPORTS})"
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

_SELECTED_EVENTS = ", ".join(sql.column(COLUMNS[n]).expression for n in _STORED)

REPORT_COLUMNS: dict[str, str] = {name: f"r.{name}" for name in REPORT_FIELDS}
REPORT_COLUMNS["latest_report"] = f"(r.hash IN {LATEST_REPORTS})"


class PuppetdbTables:
    def store_report(self, report: Report) -> bool:
        with self.write() as db:
            ids = (report.hash, *report.aliases)
            if db.execute(f"SELECT 1 FROM pdb_reports WHERE hash IN ({', '.join('?' * len(ids))})",
                          ids).fetchone():
                return False
            fields = [n for n in REPORT_FIELDS if n not in ("hash", "certname")]
            summary = report.summary
            db.execute(
                f"INSERT INTO pdb_reports (hash, certname, latest_key, {', '.join(fields)}) "
                f"VALUES ({', '.join('?' * (3 + len(fields)))})",
                [report.hash, report.certname, report.latest_key]
                + [sql.param(summary.get(n)) for n in fields])
            db.execute("INSERT INTO pdb_report_details (hash, metrics, logs) VALUES (?, ?, ?)",
                       [report.hash, summary.get("metrics") or "[]", summary.get("logs") or "[]"])
            if report.events:
                db.conn.executemany(
                    f"INSERT INTO pdb_events ({', '.join(_STORED)}) "
                    f"VALUES ({', '.join('?' * len(_STORED))})",
                    [_event_row(event) for event in report.events])
            # The latest report has the greatest key (notes 2.2, strictly later); on equal
            # keys the smaller hash, so it is the one the default order lists first
            # (storage/base.py store_report), whichever arrived first.
            summary = nodes.latest_summary(report)
            values = [sql.param(summary[n]) for n in nodes.LATEST_FIELDS]
            # A node known only from `deactivate node` has no key yet: any report is later.
            db.execute(
                f"INSERT INTO pdb_certnames (certname, latest_key, {', '.join(_LATEST_COLUMNS)}) "
                f"VALUES (?, ?, {', '.join('?' * len(values))}) "
                "ON CONFLICT (certname) DO UPDATE SET latest_key = excluded.latest_key, "
                + ", ".join(f"{c} = excluded.{c}" for c in _LATEST_COLUMNS)
                + " WHERE pdb_certnames.latest_key IS NULL "
                "OR excluded.latest_key > pdb_certnames.latest_key "
                "OR (excluded.latest_key = pdb_certnames.latest_key "
                "AND excluded.latest_report < pdb_certnames.latest_report)",
                [report.certname, report.latest_key, *values])
            # maybe-activate-node! (puppetdb/nodes.py reactivates), in SQL.
            db.execute(
                "UPDATE pdb_certnames SET deactivated = NULL, expired = NULL WHERE certname = ?1 "
                "AND NOT coalesce(deactivated > ?2, 0) AND NOT coalesce(expired > ?2, 0) "
                "AND (deactivated < ?2 OR expired < ?2)",
                [report.certname, report.latest_key])
            if report.summary.get("environment") is not None:
                db.execute("INSERT OR IGNORE INTO pdb_environments (name) VALUES (?)",
                           [report.summary["environment"]])
        return True

    def deactivate_node(self, certname: str, producer_timestamp: str) -> bool:
        with self.write() as db:
            row = db.execute("SELECT latest_key FROM pdb_certnames WHERE certname = ?",
                             [certname]).fetchone()
            if row is not None and row[0] is not None and row[0] > producer_timestamp:
                return False        # stale: a newer report exists (have-newer-record-for-certname?)
            db.execute(
                "INSERT INTO pdb_certnames (certname, deactivated) VALUES (?1, ?2) "
                "ON CONFLICT (certname) DO UPDATE SET deactivated = excluded.deactivated "
                "WHERE pdb_certnames.deactivated IS NULL OR pdb_certnames.deactivated < ?2",
                [certname, producer_timestamp])
        return True

    def expire_node(self, certname: str, expired: str, stale_before: str) -> bool:
        with self.write() as db:
            changed = db.execute(
                "UPDATE pdb_certnames SET expired = ?2 WHERE certname = ?1 "
                "AND deactivated IS NULL AND expired IS NULL "
                "AND (latest_key IS NULL OR latest_key < ?3)",
                [certname, expired, stale_before]).rowcount
        return changed == 1

    @bounded_read
    def find_nodes(self, where: Node, order: Sequence[tuple[str, str]],
                   offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        clause, params = sql.where(where, NODE_COLUMNS)
        ordering = sql.order_by(order, NODE_COLUMNS, frozenset({"certname"}))
        selected = ", ".join(NODE_COLUMNS[n] for n in nodes.NODE_FIELDS)
        total, rows = self._page("pdb_certnames AS c", selected, clause, params, ordering,
                                 offset, limit, with_total)
        return Page(_records(rows, nodes.NODE_FIELDS, nodes.NODE_BOOLEANS), total, limit, offset)

    @bounded_read
    def find_environments(self, where: Node, order: Sequence[tuple[str, str]],
                          offset: int, limit: int | None, *,
                          with_total: bool = True) -> Page[dict]:
        clause, params = sql.where(where, ENVIRONMENT_COLUMNS)
        ordering = sql.order_by(order, ENVIRONMENT_COLUMNS, frozenset({"name"}))
        total, rows = self._page("pdb_environments AS v", "v.name", clause, params, ordering,
                                 offset, limit, with_total)
        return Page([{"name": name} for (name,) in rows], total, limit, offset)

    @bounded_read
    def find_events(self, where: Node, order: Sequence[tuple[str, str]],
                    offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        clause, params = sql.where(_regex_on_certnames(where), COLUMNS)
        ordering = sql.order_by(order, COLUMNS, NOT_NULL)
        total, rows = self._page("pdb_events AS e", _SELECTED_EVENTS, clause, params, ordering,
                                 offset, limit, with_total)
        return Page(_records(rows, _STORED, ("corrective_change",)), total, limit, offset)

    @bounded_read
    def find_reports(self, where: Node, order: Sequence[tuple[str, str]],
                     offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        clause, params = sql.where(where, REPORT_COLUMNS)
        ordering = sql.order_by(order, REPORT_COLUMNS)
        selected = ", ".join(REPORT_COLUMNS[n] for n in REPORT_FIELDS)
        total, rows = self._page(
            "pdb_reports AS r", f"{selected}, d.metrics, d.logs", clause, params, ordering,
            offset, limit, with_total,
            joined="LEFT JOIN pdb_report_details AS d ON d.hash = r.hash")
        return Page(_records(rows, REPORT_FIELDS + REPORT_DETAILS, _BOOLEAN),
                    total, limit, offset)

    def _page(self, source: str, selected: str, clause: str, params: list, ordering: str,
              offset: int, limit: int | None, with_total: bool,
              joined: str = "") -> tuple[int | None, list]:
        """One page of `source` (with the `joined` tables that only supply columns)
        and, when asked, the count of every match, read in one snapshot so the two
        agree. The count reads `source` alone."""
        page = (f"SELECT {selected} FROM {source} {joined} WHERE {clause} "
                f"ORDER BY {ordering} LIMIT ? OFFSET ?")
        page_params = params + [-1 if limit is None else limit, offset]
        if not with_total:      # one statement sees one state: no transaction to open
            return None, self.db().execute(page, page_params).fetchall()
        with self.snapshot() as db:
            total = db.execute(f"SELECT count(*) FROM {source} WHERE {clause}",
                               params).fetchone()[0]
            rows = db.execute(page, page_params).fetchall()
        return total, rows


_EVENT_BOOLEANS = tuple(i for i, name in enumerate(_STORED) if name == "corrective_change")


def _event_row(event) -> list:
    """An event's values in _STORED order; its one boolean column as 1/0."""
    row = [event.get(name) for name in _STORED]
    for i in _EVENT_BOOLEANS:
        row[i] = sql.param(row[i])
    return row


def _records(rows: list, columns: tuple, booleans: tuple) -> list[dict]:
    """Rows as dicts of `columns`, the stored 1/0 of `booleans` as bools (NULL stays):
    one pass per boolean column, not a call per row."""
    records = [dict(zip(columns, row)) for row in rows]
    for name in booleans:
        for record in records:
            if record[name] is not None:
                record[name] = bool(record[name])
    return records
