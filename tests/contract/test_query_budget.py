"""The read budget of a request (query/budget.py) on both adapters: past it, a
filtered read raises QueryTooExpensive (the APIs' 503) on the port itself, and
without a budget (console commands, bulk loads) nothing is bounded. SQLite's bound
is the deadline, DynamoDB's the items read; each test sets both tiny, and the
clock jumps an hour a reading, so nothing here depends on speed."""
from __future__ import annotations

import itertools

import pytest

from chalicelib.puppetdb.ingest import reports
from chalicelib.query import budget
from chalicelib.query.ast import EVERYTHING, Match
from chalicelib.storage.base import QueryTooExpensive
from chalicelib.storage.sqlite import connection
from tests.activity_factories import add, commit
from tests.http.test_puppetdb_v4_api import FIXTURES, _body

ORDER = (("timestamp", "asc"),)


@pytest.fixture
def jumping_clock(monkeypatch):
    hours = itertools.count(step=3600)
    monkeypatch.setattr(budget, "clock", lambda: float(next(hours)))
    monkeypatch.setattr(connection, "PROGRESS_STEPS", 1)


@pytest.fixture
def stored(store):
    store.store_report(reports.from_v8(_body(FIXTURES[0])))
    add(store, *(commit(objects=(("node_groups", str(i)),)) for i in range(3)))
    return store


def test_events_past_the_budget_raise_too_expensive(stored, jumping_clock):
    with budget.budget(deadline_ms=1, max_items=1):
        with pytest.raises(QueryTooExpensive, match="The query is too expensive"):
            stored.find_events(Match("message", "."), ORDER, 0, None)


def test_commits_past_the_budget_raise_too_expensive(stored, jumping_clock):
    with budget.budget(deadline_ms=1, max_items=1):
        with pytest.raises(QueryTooExpensive):
            stored.list_commits(None, Match("ip_address", "10"), "desc", 10, 0)


def test_a_read_after_a_refused_one_works_outside_the_budget(stored, jumping_clock):
    """The interrupt leaves no state behind: the connection (SQLite) answers the next
    read, and without a budget nothing is bounded."""
    with budget.budget(deadline_ms=1, max_items=1):
        with pytest.raises(QueryTooExpensive):
            stored.find_events(Match("message", "."), ORDER, 0, None)
    page = stored.find_events(Match("message", "."), ORDER, 0, None)
    assert len(page.items) > 1
    assert stored.list_commits(None, EVERYTHING, "desc", 10, 0).total == 3


def test_items_read_are_counted_against_the_cap(stored):
    """DynamoDB charges what it read; within the cap the read answers in full."""
    with budget.budget(max_items=100_000) as allowance:
        page = stored.find_events(Match("message", "."), ORDER, 0, None)
    assert page.items
    if type(stored).__name__ == "DynamoStorage":
        assert allowance.items_read >= len(page.items)
    else:
        assert allowance.items_read == 0          # SQLite is bounded by its deadline
