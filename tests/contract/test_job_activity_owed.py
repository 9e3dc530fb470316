"""DynamoDB only: a job of more than JOB_COMMITS_PER_TRANSACTION nodes stores its
activity commits in several transactions. A creator that dies between them leaves the
job marked as owing the rest; the next reader of the job (get_job: every job route and
append_job_events) stores them, each commit once, with later sequences and the cursor
append-only (docs/dynamodb.md, "Orchestrator jobs in the activity service")."""
from __future__ import annotations

import threading

import pytest
from botocore.retries.standard import ExponentialBackoff

from chalicelib.orchestrator.activity import SERVICE_ID
from chalicelib.query.ast import EVERYTHING, Compare
from chalicelib.storage.base import StoreUnavailable
from chalicelib.storage.dynamodb import client as dynamodb_client
from chalicelib.storage.dynamodb.orchestrator import JOB_COMMITS_PER_TRANSACTION
from tests.activity_factories import add, commit
from tests.factories import new_job, node_event
from tests.faults.injection import Faults

pytestmark = pytest.mark.parametrize("store", ["dynamodb"], indirect=True)

NODES = tuple(f"n{i:02d}" for i in range(60))      # 3 chunks: 24 (with the job), 24, 12


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """No real pauses: botocore's retry delay and the adapter's backoff are 0."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(dynamodb_client, "sleep", lambda seconds: None)


@pytest.fixture
def faults(store):
    injected = Faults(store.client)
    yield injected
    injected.remove()


def holds_commit_of(node: str):
    """A transaction that stores `node`'s activity commit (its SVC# item)."""
    def match(body) -> bool:
        return any(item.get("Put", {}).get("Item", {}).get("node") == {"S": node}
                   and item["Put"]["Item"]["SK"]["S"].startswith("SEQ#")
                   for item in body["TransactItems"])
    return match


def crash_after_first_chunk(store, faults) -> int:
    """Create the job with its second chunk's transaction failing for good (DynamoDB
    answers 500 to every attempt): the job is created and answered, owing the rest."""
    faults.error("TransactWriteItems", "InternalServerError", when=holds_commit_of("n24"))
    assert store.create_job(new_job(NODES), record_activity=True).number == 1
    faults.clear()
    assert listing(store).total == JOB_COMMITS_PER_TRANSACTION    # the rest is owed
    return 1


def listing(store, service=SERVICE_ID, offset=0):
    return store.list_commits(service, EVERYTHING, "asc", 1000, offset)


def assert_every_node_once_in_order(store, job_commits):
    assert [c.objects[0].id for c in job_commits] == list(NODES)
    sequences = [c.sequence for c in job_commits]
    assert sequences == sorted(set(sequences))
    everything = store.list_commits(None, EVERYTHING, "asc", 1000, 0)
    assert sorted(c.objects[0].id for c in everything.items if c.objects[0].type == "node") \
        == list(NODES)                                          # ALL copies: once each
    for node in ("n00", "n30", "n59"):                           # OBJ# copies: once each
        where = Compare("object_keys", "=", f"node\x1f{node}")
        assert store.list_commits(None, where, "asc", 10, 0).total == 1


TOUCHES = {
    "append_job_events": lambda store, n: store.append_job_events(n, [node_event("node_running", "n00")]),
    "get_job": lambda store, n: store.get_job(n),
    "job_nodes": lambda store, n: store.job_nodes(n),
}


@pytest.mark.parametrize("touch", TOUCHES)
def test_the_next_touch_stores_the_commits_a_dead_creator_owed(store, faults, touch):
    number = crash_after_first_chunk(store, faults)
    add(store, commit(service=SERVICE_ID, message="between"))    # written while owed
    before = listing(store)

    TOUCHES[touch](store, number)

    after = listing(store)
    assert after.total == len(NODES) + 1
    # Append-only: what the cursor had seen keeps its place and sequence.
    assert [c.sequence for c in after.items[:len(before.items)]] == \
        [c.sequence for c in before.items]
    late = after.items[len(before.items):]
    assert [c.objects[0].id for c in late] == list(NODES[JOB_COMMITS_PER_TRANSACTION:])
    assert min(c.sequence for c in late) > before.items[-1].sequence
    assert {c.events[0]["message"] for c in late} == \
        {f'Request "puppet agent" run on "{n}" over "pcp" via orchestrator job "1"'
         for n in NODES[JOB_COMMITS_PER_TRANSACTION:]}
    assert_every_node_once_in_order(store, [c for c in after.items if c.objects[0].type == "node"])

    # Nothing is owed any more: the next read is one GetItem and stores nothing.
    faults.sent.clear()
    store.get_job(number)
    assert dict(faults.sent) == {"GetItem": 1}
    assert listing(store).total == len(NODES) + 1


def test_a_reader_racing_the_creator_stores_no_commit_twice(store):
    """The reader completes the job while the creator holds its second chunk's
    transaction: that transaction fails its ACTIVITY condition, the creator re-reads
    the count, finds nothing owed and returns the job."""
    build = store._commit_transaction
    state = {"calls": 0}

    def racing(commits, job_runs=None):
        state["calls"] += 1
        built = build(commits, job_runs)
        if state["calls"] == 2:                  # the creator's second chunk
            store.get_job(1)                     # a reader stores chunks 2 and 3
            assert listing(store).total == len(NODES)
        return built

    store._commit_transaction = racing
    job = store.create_job(new_job(NODES), record_activity=True)
    assert job.number == 1
    assert listing(store).total == len(NODES)
    assert_every_node_once_in_order(store, listing(store).items)


def test_two_readers_after_a_crash_store_no_commit_twice(store, faults):
    """Reader A builds the second chunk, reader B stores that chunk and the last while A
    waits; A's transaction fails, A re-reads the count and stops."""
    number = crash_after_first_chunk(store, faults)
    build = store._commit_transaction
    state = {"calls": 0}

    def racing(commits, job_runs=None):
        state["calls"] += 1
        built = build(commits, job_runs)
        if state["calls"] == 1:
            store.get_job(number)                # reader B, start to end
        return built

    store._commit_transaction = racing
    store.get_job(number)                        # reader A
    assert state["calls"] == 1 + 2               # A built one chunk, B two; A built no more
    assert_every_node_once_in_order(store, listing(store).items)


def test_a_reader_taking_over_mid_way_goes_on_from_the_stored_count(store, faults):
    """Reader A holds the second chunk; B stores only that chunk (its next transaction
    fails for good); A's transaction fails, A re-reads the count (48) and stores the last."""
    number = crash_after_first_chunk(store, faults)
    build = store._commit_transaction
    state = {"calls": 0}

    def racing(commits, job_runs=None):
        state["calls"] += 1
        built = build(commits, job_runs)
        if state["calls"] == 1:
            faults.error("TransactWriteItems", "InternalServerError", when=holds_commit_of("n48"))
            with pytest.raises(StoreUnavailable):
                store.get_job(number)            # reader B dies after the second chunk
            faults.clear()
            assert listing(store).total == 2 * JOB_COMMITS_PER_TRANSACTION
        return built

    store._commit_transaction = racing
    store.get_job(number)                        # reader A
    assert_every_node_once_in_order(store, listing(store).items)


def test_concurrent_readers_store_each_commit_once(store, faults):
    """Threads interleave their calls (tests/conftest.AtomicRequests serialises each)."""
    nodes = tuple(f"m{i:03d}" for i in range(JOB_COMMITS_PER_TRANSACTION * 3 + 5))
    faults.error("TransactWriteItems", "InternalServerError", when=holds_commit_of("m024"))
    store.create_job(new_job(nodes), record_activity=True)      # answered, owing the rest
    faults.clear()
    errors: list[BaseException] = []

    def reader():
        try:
            store.get_job(1)
        except BaseException as error:           # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    page = listing(store)
    assert page.total == len(nodes) and [c.objects[0].id for c in page.items] == list(nodes)
    assert store.list_commits(None, EVERYTHING, "asc", 1000, 0).total == len(nodes)
