"""The SQLite adapter (local default): one file, WAL, a connection per thread."""
from __future__ import annotations

from . import activity, orchestrator, puppetdb, retention, tokens
from .connection import Connections


class SqliteStorage(orchestrator.JobTables, puppetdb.PuppetdbTables, activity.CommitTables,
                    tokens.TokenTables, retention.RetentionTables, Connections):
    schema = orchestrator.SCHEMA + puppetdb.SCHEMA + activity.SCHEMA + tokens.SCHEMA
    # After the upgrades: its indexes name columns they may add.
    late_schema = retention.SCHEMA
    upgrades = (puppetdb.upgrade,)


__all__ = ["SqliteStorage"]
