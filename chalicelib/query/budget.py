"""The run-time cost of a request's reads: a deadline (SQLite) and a cap on
items read (DynamoDB), answered 503 "too expensive" in the API's format
(issue 20; docs/security.md, "Query cost"). The static caps (cost.py) bound a
query's shape; this bounds what any query that passed them may still cost.

`request_budget` (HTTP middleware) opens a budget per request from the settings;
outside a request (console commands, bulk loads) there is none and nothing is
bounded. The adapters ask `current()`:
- SQLite arms a progress handler on the connection during a filtered read
  (storage/sqlite/connection.py, `Connections.bounded`) that interrupts the
  statement once `expired()`;
- DynamoDB's query runner `charge`s every page's ScannedCount.
Both raise storage.base.QueryTooExpensive, which errors.render_errors answers.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

from ..config import settings
from ..storage.base import QueryTooExpensive

clock = time.monotonic          # replaced by tests that need time to pass


@dataclass
class Budget:
    deadline: float | None        # clock() value; None: no deadline
    max_items: int | None         # None: no cap
    deadline_ms: int = 0          # as configured, for the message
    items_read: int = 0

    def expired(self) -> bool:
        return self.deadline is not None and clock() > self.deadline

    def too_slow(self) -> QueryTooExpensive:
        return QueryTooExpensive(
            f"The query is too expensive: it ran longer than {self.deadline_ms} ms "
            "(EVENTS_QUERY_DEADLINE_MS). Narrow it (fewer or anchored regular "
            "expressions, a certname, report or time range) or ask for a smaller page.")

    def charge(self, items: int) -> None:
        """Count `items` read; QueryTooExpensive once past the cap."""
        self.items_read += items
        if self.max_items is not None and self.items_read > self.max_items:
            raise QueryTooExpensive(
                f"The query is too expensive: it read more than {self.max_items} items "
                "(EVENTS_MAX_ITEMS_READ). Narrow it (a certname, report or time range) "
                "or ask for a smaller page.")


_current: ContextVar[Budget | None] = ContextVar("query_budget", default=None)


def current() -> Budget | None:
    return _current.get()


@contextmanager
def budget(deadline_ms: int = 0, max_items: int = 0) -> Iterator[Budget]:
    """A budget for the reads inside; 0 leaves that bound off."""
    opened = Budget(deadline=clock() + deadline_ms / 1000 if deadline_ms > 0 else None,
                    max_items=max_items if max_items > 0 else None, deadline_ms=deadline_ms)
    token = _current.set(opened)
    try:
        yield opened
    finally:
        _current.reset(token)


def request_budget(event, get_response):
    """Chalice HTTP middleware: each request's reads share one budget."""
    config = settings()
    with budget(config.query_deadline_ms, config.max_items_read):
        return get_response(event)
