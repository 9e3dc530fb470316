"""Guards for the performance work of issue 8 (docs/performance.md), not timed: the SQL
the SQLite adapter runs for each query of the benchmark mix uses an index (EXPLAIN QUERY
PLAN), and the bench's machinery runs end to end on a tiny data set."""
from __future__ import annotations

import sqlite3

import pytest

from bench import load, mix
from chalicelib.storage.sqlite import SqliteStorage


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("plans") / "bench.db")
    store = SqliteStorage(path)
    load.puppetdb(store, 3000)
    load.activity(store, 400)
    load.orchestrator(store, 4, 300)
    raw = sqlite3.connect(path)
    raw.create_function("regexp", 2, lambda pattern, value: 1)
    yield store, path, raw, mix.cases(raw)
    raw.close()
    store.close()


def plans(store, raw, case) -> list[tuple[str, str]]:
    """(statement, its query plan as one string) for each SELECT the port runs."""
    return [(sql, " / ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql)))
            for sql in mix.statements(store, case.port(store))]


def test_every_selective_query_of_the_mix_searches_an_index(loaded):
    store, _, raw, cases = loaded
    assert {c.api for c in cases} == {"puppetdb", "activity v1", "activity v2", "orchestrator"}
    for case in cases:
        if case.name.startswith("/jobs page"):
            continue
        for sql, plan in plans(store, raw, case):
            main = plan.split(" / ")[0]
            assert main.startswith("SEARCH"), (case.name, sql, plan)


def test_regex_on_certname_runs_on_the_certnames_not_on_every_event(loaded):
    store, _, raw, cases = loaded
    (case,) = [c for c in cases if c.name.startswith("regex on certname")]
    for sql, plan in plans(store, raw, case):
        assert "pdb_certnames" in sql and "SEARCH e USING" in plan, plan
        assert "SCAN e" not in plan, plan


@pytest.mark.parametrize("name", ["certname", "status=failure, limit 100"])
def test_event_order_comes_from_the_index_not_a_full_sort(loaded, name):
    # NOT NULL columns order without `(x IS NULL)`, so the (field, timestamp) index
    # gives the timestamp order and only ties are sorted.
    store, _, raw, cases = loaded
    (case,) = [c for c in cases if c.name == name]
    *_, (sql, plan) = plans(store, raw, case)
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_activity_offset_walks_an_index_of_sequences_not_the_commits(loaded):
    # Deferred join: OFFSET skips entries of activity_by_sequence (a few integers per
    # page), and only the page's commits (JSON columns and all) are read.
    store, _, raw, cases = loaded
    (case,) = [c for c in cases if c.name.startswith("offset 100,000")]
    (sql, plan), *_ = plans(store, raw, case)
    assert plan.startswith("SEARCH c USING INTEGER PRIMARY KEY"), plan
    assert "SCAN c USING COVERING INDEX activity_by_sequence" in plan, plan


def test_a_puppetdb_page_without_a_total_is_one_statement(loaded):
    # No count and no BEGIN/COMMIT around a single SELECT (it sees one state anyway).
    store, _, raw, cases = loaded
    (case,) = [c for c in cases if c.name == "report hash"]
    conn = store.db().conn
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        case.port(store)()
    finally:
        conn.set_trace_callback(None)
    assert len(seen) == 1 and seen[0].startswith("SELECT") and "count(*)" not in seen[0], seen


def test_job_listing_by_name_needs_no_sort(loaded):
    store, _, raw, cases = loaded
    (case,) = [c for c in cases if c.name.startswith("/jobs page")]
    *_, (sql, plan) = plans(store, raw, case)
    assert "TEMP B-TREE" not in plan, plan


def test_the_bench_mix_runs_and_compares_port_with_floor(loaded):
    store, path, _, cases = loaded
    rows = mix.in_process(store, path, cases, repeat=1)
    assert len(rows) == len(cases)
    assert all(r["rows"] >= 0 and r["port p50 ms"] > 0 and r["floor p50 ms"] > 0 for r in rows)
    assert [r["rows"] for r in rows if r["query"] == "certname"] != [0]



def test_bulk_writes_commit_together_or_not_at_all(tmp_path):
    from tests.factories import new_job
    store = SqliteStorage(str(tmp_path / "bulk.db"))
    (cache,) = store.db().conn.execute("PRAGMA cache_size").fetchone()
    with pytest.raises(RuntimeError):
        with store.bulk():
            store.create_job(new_job())
            store.create_job(new_job())
            raise RuntimeError("the loader failed")
    assert store.get_job(1) is None
    with store.bulk():
        first, second = store.create_job(new_job()), store.create_job(new_job())
    assert (first.number, second.number) == (1, 2) and store.get_job(2) is not None
    assert store.db().conn.execute("PRAGMA cache_size").fetchone() == (cache,)


def test_latest_report_lists_the_latest_hashes_from_their_index_not_the_node_rows(loaded):
    """issue 15: the node rows are wide (the summary); the IN list reads the narrow index."""
    store, _, raw, cases = loaded
    (case,) = [c for c in cases if c.name.startswith("latest-report")]
    (sql, plan), *_ = plans(store, raw, case)
    assert "COVERING INDEX pdb_certnames_by_latest" in plan, plan
    assert "SCAN pdb_certnames" not in plan, plan
