"""Settings, read from the environment when first needed.

`chalice local` and the Chalice test client put a stage's environment variables
into `os.environ` only around a request, so nothing here is read at import time
(see ../shared/notes/chalice-dynamodb.md, "Test client").
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    storage: str                 # "sqlite" or "dynamodb"
    sqlite_path: str
    table_prefix: str            # DynamoDB table names are prefix + logical name
    public_url: str | None       # base URL for links; None = from the request's Host
    event_query_limit: int       # PuppetDB's fail limit (0 = unlimited)

    @classmethod
    def from_environment(cls) -> "Settings":
        env = os.environ
        return cls(
            storage=env.get("EVENTS_STORAGE", "sqlite").strip().lower(),
            sqlite_path=env.get("EVENTS_SQLITE_PATH", "./data/events.db"),
            table_prefix=env.get("EVENTS_TABLE_PREFIX", "puppet-events-"),
            public_url=(env.get("EVENTS_PUBLIC_URL") or "").rstrip("/") or None,
            event_query_limit=int(env.get("EVENT_QUERY_LIMIT", "20000")),
        )


def settings() -> Settings:
    return Settings.from_environment()
