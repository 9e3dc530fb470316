"""The configured store, built lazily on first use and reused (one per process)."""
from __future__ import annotations

import threading

from ..config import settings
from .base import Storage

_lock = threading.Lock()
_storage: Storage | None = None


def get_storage() -> Storage:
    global _storage
    if _storage is None:
        with _lock:
            if _storage is None:
                _storage = build(settings())
    return _storage


def build(config) -> Storage:
    if config.storage == "sqlite":
        from .sqlite import SqliteStorage       # not packaged for Lambda's needs
        return SqliteStorage(config.sqlite_path)
    if config.storage == "dynamodb":
        from .dynamodb import DynamoStorage
        return DynamoStorage(config.table_prefix)
    raise ValueError(f"EVENTS_STORAGE must be 'sqlite' or 'dynamodb', not {config.storage!r}")


def use(storage: Storage | None) -> None:
    """Replace the configured store (tests and console commands)."""
    global _storage
    with _lock:
        _storage = storage
