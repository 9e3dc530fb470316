"""The SQLite adapter (local default): one file, WAL, a connection per thread."""
from __future__ import annotations

from . import orchestrator, puppetdb
from .connection import Connections


class SqliteStorage(orchestrator.JobTables, puppetdb.PuppetdbTables, Connections):
    schema = orchestrator.SCHEMA + puppetdb.SCHEMA


__all__ = ["SqliteStorage"]
