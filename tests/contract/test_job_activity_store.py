"""The storage port's job activity (orchestrator/activity.py) on both adapters: the
commits are stored with the job, read their run keys from the job's node records, and
never move; on DynamoDB, what one transaction holds and what a listing reads."""
from __future__ import annotations

import pytest
from moto import mock_aws

from chalicelib.orchestrator.activity import SERVICE_ID
from chalicelib.query.ast import EVERYTHING, Compare
from chalicelib.storage.dynamodb.orchestrator import JOB_COMMITS_PER_TRANSACTION
from tests.activity_factories import add, commit
from tests.conftest import make_store
from tests.factories import job_event, new_job, node_event


def listing(store, order="asc", limit=1000, offset=0, service=SERVICE_ID):
    return store.list_commits(service, EVERYTHING, order, limit, offset)


def test_a_job_stores_one_commit_per_node_with_it(store):
    job = store.create_job(new_job(("a", "b", "c")), record_activity=True)
    page = listing(store)
    assert page.total == 3 and [c.objects[0].id for c in page.items] == ["a", "b", "c"]
    assert {c.timestamp for c in page.items} == {job.created_timestamp}
    assert store.list_commits(None, EVERYTHING, "asc", 10, 0).total == 3


def test_without_recording_a_job_stores_no_commit(store):
    store.create_job(new_job(("a", "b")))
    assert store.list_commits(None, EVERYTHING, "asc", 10, 0).total == 0


def test_events_change_the_run_keys_but_not_the_sequences_or_totals(store):
    add(store, commit(service=SERVICE_ID, message="before"))
    job = store.create_job(new_job(("a", "b")), record_activity=True)
    add(store, commit(service=SERVICE_ID, message="after"))
    before = listing(store)
    store.append_job_events(job.number, [node_event("node_running", "a"),
                                         node_event("node_running", "b")])
    store.append_job_events(job.number, [node_event("node_finished", "a"),
                                         node_event("node_failed", "b"), job_event("job_finished")])
    after = listing(store)
    assert [c.sequence for c in after.items] == [c.sequence for c in before.items]
    assert after.total == before.total == 4
    assert [c.events[0].get("state") for c in after.items] == [None, "finished", "failed", None]
    assert listing(store, offset=4).items == []          # the cursor saw nothing new


def test_the_node_object_filters_find_a_jobs_commit(store):
    job = store.create_job(new_job(("a", "b")), record_activity=True)
    store.append_job_events(job.number, [node_event("node_running", "b")])
    where = Compare("object_keys", "=", "node\x1fb")
    page = store.list_commits(None, where, "desc", 10, 0)
    assert page.total == 1 and page.items[0].events[0]["state"] == "running"


def test_a_job_larger_than_one_transaction_records_every_node_in_order(store):
    nodes = tuple(f"n{i:02d}" for i in range(JOB_COMMITS_PER_TRANSACTION * 2 + 3))
    store.create_job(new_job(nodes), record_activity=True)
    page = listing(store)
    assert page.total == len(nodes) and [c.objects[0].id for c in page.items] == list(nodes)
    sequences = [c.sequence for c in page.items]
    assert sequences == sorted(sequences)
    assert [c.objects[0].id for c in listing(store, limit=5, offset=24).items] == list(nodes[24:29])


# ------------------------------------------------------------------ DynamoDB only

@pytest.fixture
def dynamo_store(tmp_path):
    with mock_aws():
        yield make_store("dynamodb", tmp_path)


def test_dynamodb_a_lost_job_race_writes_neither_the_job_nor_its_commits(dynamo_store):
    """The job counter moves under the first attempt: its transaction (job and commits)
    is cancelled whole, and the retry stores each commit once, service_seq gap-free."""
    store = dynamo_store
    counter = store._counter
    state = {"raced": False}

    def racing_counter(name):
        value = counter(name)
        if name == "jobs" and not state["raced"]:
            state["raced"] = True
            store._counter = counter
            store.create_job(new_job(("x",)))         # wins job 1, records nothing
            store._counter = racing_counter
        return value

    store._counter = racing_counter
    job = store.create_job(new_job(("a", "b")), record_activity=True)
    assert job.number == 2
    page = listing(store)
    assert page.total == 2 and [c.objects[0].id for c in page.items] == ["a", "b"]
    assert [c.events[0]["message"][-3:] for c in page.items] == ['"2"', '"2"']


class BatchGetLog:
    def __init__(self, client):
        self._client, self.calls = client, []

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if name != "batch_get_item":
            return attribute

        def call(**kwargs):
            self.calls.append(sum(len(r["Keys"]) for r in kwargs["RequestItems"].values()))
            return attribute(**kwargs)
        return call


def test_dynamodb_a_page_of_job_commits_reads_its_runs_in_batches(dynamo_store):
    store = dynamo_store
    store.create_job(new_job(tuple(f"n{i:03d}" for i in range(120))), record_activity=True)
    add(store, commit(service="classifier"))
    store.client = log = BatchGetLog(store.client)
    listing(store, service="classifier")
    assert log.calls == []                                 # no job commit: no extra read
    assert len(listing(store, limit=120).items) == 120
    assert log.calls == [100, 21]                          # 1 job + 120 nodes, 100 a request
