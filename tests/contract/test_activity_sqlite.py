"""SQLite-only: the append-only cursor holds while writers run on other threads
(chalice local serves each request on a thread; each has its own connection)."""
from __future__ import annotations

import threading

import pytest

from tests.activity_factories import commit, messages
from chalicelib.query.ast import EVERYTHING
from tests.conftest import make_store

WRITERS, COMMITS_EACH = 3, 8


@pytest.fixture
def sqlite_store(tmp_path):
    store = make_store("sqlite", tmp_path)
    yield store
    store.close()


def test_polling_by_total_under_concurrent_writers_sees_each_commit_once(sqlite_store):
    def write(writer: int) -> None:
        for n in range(COMMITS_EACH):
            sqlite_store.add_commit(commit(message=f"w{writer}-{n}"))
        sqlite_store.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    seen, offset = [], 0

    def poll() -> None:
        nonlocal offset
        page = sqlite_store.list_commits("classifier", EVERYTHING, "asc", 1000, offset)
        seen.extend(messages(page))
        offset += len(page.items)
        assert offset == page.total       # the page reaches exactly the total it reports

    while any(t.is_alive() for t in threads):
        poll()
    for thread in threads:
        thread.join()
    poll()
    everything = sqlite_store.list_commits("classifier", EVERYTHING, "asc", 1000, 0)
    assert seen == messages(everything) and len(set(seen)) == WRITERS * COMMITS_EACH
