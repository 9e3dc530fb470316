"""The append-only cursor (pe_event_forwarding, ../shared/notes/pe-clients.md 0.5):
store `pagination.total`, ask `order=asc&offset=<total>` later, get exactly the new commits."""
from __future__ import annotations

from tests.activity_factories import add, commit, messages
from chalicelib.query.ast import EVERYTHING


def test_offset_total_returns_exactly_the_commits_added_since(store):
    add(store, commit(message="a"), commit(message="b"))
    first = store.list_commits("classifier", EVERYTHING, "asc", 1000, 0)
    assert first.total == 2
    add(store, commit(message="c"), commit(service="rbac", message="other"), commit(message="d"))
    later = store.list_commits("classifier", EVERYTHING, "asc", 1000, first.total)
    assert messages(later) == ["c", "d"] and later.total == 4


def test_shared_timestamp_and_older_timestamp_do_not_move_the_cursor(store):
    same = "2019-03-05T18:52:27.000000Z"
    add(store, commit(message="a", timestamp=same), commit(message="b", timestamp=same))
    total = store.list_commits("classifier", EVERYTHING, "asc", 1000, 0).total
    add(store, commit(message="c", timestamp=same),
        commit(message="older", timestamp="2001-01-01T00:00:00.000000Z"))
    later = store.list_commits("classifier", EVERYTHING, "asc", 1000, total)
    assert messages(later) == ["c", "older"]


def test_paging_by_page_size_visits_every_commit_once(store):
    add(store, *(commit(message=f"m{i}") for i in range(7)))
    seen, offset = [], 0
    while True:
        page = store.list_commits("classifier", EVERYTHING, "asc", 3, offset)
        seen += messages(page)
        offset += len(page.items)
        if len(page.items) != 3:
            break
    assert seen == [f"m{i}" for i in range(7)] and offset == page.total


def test_total_equals_rows_reachable_by_offset(store):
    add(store, *(commit(message=f"m{i}") for i in range(4)))
    page = store.list_commits("classifier", EVERYTHING, "asc", 2, 3)
    assert page.total == 4 and len(page.items) == 1
