"""The SQLite adapter (local default): one file, WAL, a connection per thread."""
from __future__ import annotations

import logging

from . import activity, orchestrator, puppetdb, retention, subscriptions, tokens
from .connection import Connections

log = logging.getLogger(__name__)


class SqliteStorage(orchestrator.JobTables, puppetdb.PuppetdbTables, activity.CommitTables,
                    tokens.TokenTables, retention.RetentionTables,
                    subscriptions.SubscriptionTables, Connections):
    schema = (orchestrator.SCHEMA + puppetdb.SCHEMA + activity.SCHEMA + tokens.SCHEMA
              + subscriptions.SCHEMA)
    # After the upgrades: its indexes name columns they may add.
    late_schema = retention.SCHEMA
    upgrades = (puppetdb.upgrade,)

    def ping(self) -> bool:
        try:
            return self.db().conn.execute("SELECT 1").fetchone() == (1,)
        except Exception as error:      # any failure means "not up"; the status says so
            log.warning("store ping failed: %s", error)
            return False


__all__ = ["SqliteStorage"]
