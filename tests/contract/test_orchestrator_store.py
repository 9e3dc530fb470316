"""The orchestrator part of the storage port: every test runs on SQLite and on DynamoDB (moto)."""
from __future__ import annotations

import json

import pytest

from chalicelib import jsontext
from chalicelib.jsontext import JSONText
from chalicelib.orchestrator.model import InvalidEvent, UnknownJob
from chalicelib.query.ast import EVERYTHING, And, Compare
from tests.factories import at, job_event, new_job, node_event


def test_job_numbers_start_at_one_and_have_no_gaps(store):
    numbers = [store.create_job(new_job()).number for _ in range(5)]
    assert numbers == [1, 2, 3, 4, 5]


def test_a_new_job_is_stored_whole(store):
    created = store.create_job(new_job(("x", "y"), job_type="task", environment="dev", login="ops",
                                       noop=True))
    job = store.get_job(created.number)
    assert job == created
    assert (job.state, job.type, job.environment, job.owner_login) == ("new", "task", "dev", "ops")
    assert job.nodes == ("x", "y")
    assert job.options == {"noop": True}
    assert job.node_states == {"new": 2}


def test_unknown_job_is_none(store):
    assert store.get_job(99) is None


def test_event_ids_are_global_and_increasing_across_jobs(store):
    first, second = store.create_job(new_job(("a",))), store.create_job(new_job(("a",)))
    ids = [store.append_job_events(first.number, [node_event("node_running", "a")])[0].id,
           store.append_job_events(second.number, [node_event("node_running", "a")])[0].id,
           store.append_job_events(first.number, [node_event("node_finished", "a")])[0].id]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_events_are_read_back_from_start_in_id_order(store):
    job = store.create_job(new_job(("a", "b")))
    stored = store.append_job_events(job.number, [node_event("node_running", "a"),
                                                  node_event("node_running", "b"),
                                                  node_event("node_finished", "a")])
    assert [e.id for e in store.job_events(job.number, 0, 100)] == [e.id for e in stored]
    assert [e.id for e in store.job_events(job.number, stored[1].id, 100)] == [e.id for e in stored[1:]]
    assert store.job_events(job.number, stored[-1].id + 1, 100) == []


def test_event_details_come_back_as_the_stored_json_text_undecoded(store):
    # Served as stored (jsontext.py): a page of events decodes nothing.
    job = store.create_job(new_job(("a",)))
    store.append_job_events(job.number, [node_event("node_running", "a", noop=False)])
    (event,) = store.job_events(job.number, 0, 10)
    assert isinstance(event.details, JSONText) and event.details._value is jsontext._UNDECODED
    assert json.loads(event.details.text) == {"node": "a", "detail": {"noop": False}}


def test_events_keep_details_and_message(store):
    job = store.create_job(new_job(("a",)))
    store.append_job_events(job.number, [node_event("node_running", "a", noop=False)])
    (event,) = store.job_events(job.number, 0, 10)
    assert event.type == "node_running"
    assert event.details == {"node": "a", "detail": {"noop": False}}
    assert event.message == "node_running on a"


def test_job_events_page_is_bounded_by_limit(store):
    job = store.create_job(new_job(("a",)))
    store.append_job_events(job.number, [node_event("node_running", "a")] * 5)
    assert len(store.job_events(job.number, 0, 3)) == 3


def test_events_of_other_jobs_are_not_returned(store):
    one, two = store.create_job(new_job(("a",))), store.create_job(new_job(("a",)))
    store.append_job_events(one.number, [node_event("node_running", "a")])
    assert store.job_events(two.number, 0, 10) == []


def test_node_events_move_node_and_job_states(store):
    job = store.create_job(new_job(("a", "b")))
    store.append_job_events(job.number, [node_event("node_running", "a")])
    assert store.get_job(job.number).state == "running"
    store.append_job_events(job.number, [node_event("node_finished", "a"),
                                         node_event("node_failed", "b")])
    job = store.get_job(job.number)
    assert job.node_states == {"finished": 1, "failed": 1}
    states = {n.name: n.state for n in store.job_nodes(job.number)}
    assert states == {"a": "finished", "b": "failed"}


def test_job_finished_after_a_failed_node_leaves_the_job_failed(store):
    job = store.create_job(new_job(("a",)))
    store.append_job_events(job.number, [node_event("node_running", "a"), node_event("node_failed", "a"),
                                         job_event("job_finished", timestamp=at(600))])
    job = store.get_job(job.number)
    assert job.state == "failed"
    assert job.finish_timestamp == at(600)


def test_job_finished_after_successful_nodes_finishes_the_job(store):
    job = store.create_job(new_job(("a",)))
    store.append_job_events(job.number, [node_event("node_running", "a"), node_event("node_finished", "a"),
                                         job_event("job_finished")])
    assert store.get_job(job.number).state == "finished"


def test_stopping_then_aborted_stops_the_job_and_records_each_state(store):
    job = store.create_job(new_job(("a",)))
    store.append_job_events(job.number, [job_event("job_stopping", timestamp=at(10)),
                                         job_event("job_aborted", timestamp=at(20))])
    job = store.get_job(job.number)
    assert job.state == "stopped"
    assert [(s.state, s.enter_time, s.exit_time) for s in job.status][1:] == [
        ("stopping", at(10), at(20)), ("stopped", at(20), None)]


def test_no_event_is_accepted_after_the_job_is_over_and_nothing_is_stored(store):
    job = store.create_job(new_job(("a",)))
    store.append_job_events(job.number, [job_event("job_finished")])
    before = store.job_events(job.number, 0, 100)
    with pytest.raises(InvalidEvent):
        store.append_job_events(job.number, [node_event("node_running", "a")])
    assert store.job_events(job.number, 0, 100) == before


def test_an_event_for_a_node_outside_the_job_stores_nothing(store):
    job = store.create_job(new_job(("a",)))
    with pytest.raises(InvalidEvent):
        store.append_job_events(job.number, [node_event("node_running", "a"),
                                             node_event("node_running", "stranger")])
    assert store.job_events(job.number, 0, 100) == []
    assert store.get_job(job.number).state == "new"


def test_appending_to_an_unknown_job_raises(store):
    with pytest.raises(UnknownJob):
        store.append_job_events(7, [job_event("job_finished")])


def test_jobs_list_in_every_order_with_number_as_tiebreak(store):
    for login, env in (("carol", "prod"), ("alice", "dev"), ("bob", "prod"), ("alice", "qa")):
        store.create_job(new_job(login=login, environment=env))
    names = lambda page: [j.number for j in page.items]  # noqa: E731
    assert names(store.list_jobs(EVERYTHING, "name", "asc", 10, 0)) == [1, 2, 3, 4]
    assert names(store.list_jobs(EVERYTHING, "name", "desc", 10, 0)) == [4, 3, 2, 1]
    assert names(store.list_jobs(EVERYTHING, "owner", "asc", 10, 0)) == [2, 4, 3, 1]
    assert names(store.list_jobs(EVERYTHING, "owner", "desc", 10, 0)) == [1, 3, 4, 2]
    assert names(store.list_jobs(EVERYTHING, "environment", "asc", 10, 0)) == [2, 1, 3, 4]


def test_jobs_list_orders_numerically_past_nine(store):
    for _ in range(11):
        store.create_job(new_job())
    page = store.list_jobs(EVERYTHING, "name", "desc", 1, 0)
    assert [j.number for j in page.items] == [11]


def test_jobs_list_pages_with_limit_offset_and_total(store):
    for _ in range(5):
        store.create_job(new_job())
    page = store.list_jobs(EVERYTHING, "name", "asc", 2, 3)
    assert [j.number for j in page.items] == [4, 5]
    assert page.total == 5
    assert store.list_jobs(EVERYTHING, "name", "asc", 2, 10).items == []


def test_jobs_list_filters_by_type_and_finish_time(store):
    early, late, other = (store.create_job(new_job(("a",), job_type=t)) for t in ("task", "task", "deploy"))
    store.append_job_events(early.number, [job_event("job_finished", timestamp=at(100))])
    store.append_job_events(late.number, [job_event("job_finished", timestamp=at(300))])
    store.append_job_events(other.number, [job_event("job_finished", timestamp=at(200))])
    tasks = store.list_jobs(Compare("type", "=", "task"), "name", "asc", 10, 0)
    assert [j.number for j in tasks.items] == [early.number, late.number] and tasks.total == 2
    window = And((Compare("finish_timestamp", ">=", at(150)), Compare("finish_timestamp", "<=", at(300))))
    assert [j.number for j in store.list_jobs(window, "name", "asc", 10, 0).items] == [late.number, other.number]


def test_unfinished_jobs_do_not_match_a_finish_time_filter(store):
    store.create_job(new_job())
    page = store.list_jobs(Compare("finish_timestamp", ">=", at(0)), "name", "asc", 10, 0)
    assert page.total == 0 and page.items == []


def test_nodes_without_events_are_listed_as_new(store):
    job = store.create_job(new_job(("b", "a")))
    store.append_job_events(job.number, [node_event("node_running", "b")])
    nodes = store.job_nodes(job.number)
    assert [(n.name, n.state) for n in nodes] == [("a", "new"), ("b", "running")]
    assert nodes[1].latest_event_id is not None
