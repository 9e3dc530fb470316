"""The SQLite adapter (local default): one file, WAL, a connection per thread."""
from __future__ import annotations

from . import activity, orchestrator, puppetdb, subscriptions, tokens
from .connection import Connections


class SqliteStorage(orchestrator.JobTables, puppetdb.PuppetdbTables, activity.CommitTables,
                    tokens.TokenTables, subscriptions.SubscriptionTables, Connections):
    schema = (orchestrator.SCHEMA + puppetdb.SCHEMA + activity.SCHEMA + tokens.SCHEMA
              + subscriptions.SCHEMA)
    upgrades = (puppetdb.upgrade,)


__all__ = ["SqliteStorage"]
