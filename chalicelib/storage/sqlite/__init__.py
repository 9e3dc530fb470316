"""The SQLite adapter (local default): one file, WAL, a connection per thread."""
from __future__ import annotations

from . import orchestrator
from .connection import Connections


class SqliteStorage(orchestrator.JobTables, Connections):
    schema = orchestrator.SCHEMA


__all__ = ["SqliteStorage"]
