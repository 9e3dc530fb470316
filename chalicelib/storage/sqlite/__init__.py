"""The SQLite adapter (local default): one file, WAL, a connection per thread."""
from __future__ import annotations

from . import activity, orchestrator
from .connection import Connections


class SqliteStorage(orchestrator.JobTables, activity.CommitTables, Connections):
    schema = orchestrator.SCHEMA + activity.SCHEMA


__all__ = ["SqliteStorage"]
