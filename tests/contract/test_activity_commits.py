"""Activity commits on both adapters: the write side, every filter, order, paging, totals."""
from __future__ import annotations

import json

import pytest

from chalicelib import jsontext
from chalicelib.jsontext import JSONText
from tests.activity_factories import add, commit, messages
from chalicelib.activity.model import NewCommit, object_key
from chalicelib.query.ast import EVERYTHING, Compare, Contains, In, all_of, any_of

def test_added_commit_is_returned_with_its_fields(store):
    new = commit(message="hello", ip="192.168.1.5")
    stored = store.add_commit(new)
    page = store.list_commits("classifier", EVERYTHING, "desc", 10, 0)
    assert page.total == 1
    found = page.items[0]
    assert (found.subject, found.objects, found.timestamp, found.events, found.ip_address) == \
        (new.subject, new.objects, new.timestamp, new.events, "192.168.1.5")
    assert found.sequence == stored.sequence


def test_commit_events_come_back_as_the_stored_json_text_undecoded(store):
    # Served as stored (jsontext.py): a page of commits decodes no events.
    store.add_commit(commit(message="hello"))
    (found,) = store.list_commits("classifier", EVERYTHING, "desc", 10, 0).items
    assert isinstance(found.events, JSONText) and found.events._value is jsontext._UNDECODED
    assert [e["message"] for e in json.loads(found.events.text)] == ["hello"]


def test_sequences_increase_in_commit_order(store):
    stored = add(store, commit(), commit(service="rbac"), commit())
    assert stored[0].sequence < stored[1].sequence < stored[2].sequence


def test_default_desc_order_is_newest_submitted_first_even_with_older_timestamp(store):
    add(store, commit(message="first", timestamp="2020-01-01T00:00:00.000000Z"),
        commit(message="second", timestamp="2010-01-01T00:00:00.000000Z"))
    assert messages(store.list_commits("classifier", EVERYTHING, "desc", 10, 0)) == ["second", "first"]
    assert messages(store.list_commits("classifier", EVERYTHING, "asc", 10, 0)) == ["first", "second"]


def test_service_filter_keeps_only_that_service(store):
    add(store, commit(message="c1"), commit(service="rbac", message="r1"), commit(message="c2"))
    page = store.list_commits("rbac", EVERYTHING, "asc", 10, 0)
    assert messages(page) == ["r1"] and page.total == 1


def test_no_service_lists_every_service_in_sequence_order(store):
    add(store, commit(message="c1"), commit(service="rbac", message="r1"),
        commit(service="puppet-ca", message="p1"), commit(message="c2"))
    page = store.list_commits(None, EVERYTHING, "asc", 10, 0)
    assert messages(page) == ["c1", "r1", "p1", "c2"] and page.total == 4
    assert messages(store.list_commits(None, EVERYTHING, "desc", 2, 1)) == ["p1", "r1"]


def test_empty_store_lists_nothing(store):
    assert store.list_commits(None, EVERYTHING, "desc", 10, 0).total == 0
    assert store.list_commits("rbac", EVERYTHING, "desc", 10, 0).items == []


@pytest.mark.parametrize("order, offset, limit, expected", [
    ("asc", 0, 2, ["m1", "m2"]), ("asc", 3, 10, ["m4", "m5"]), ("asc", 5, 10, []),
    ("asc", 9, 1, []), ("desc", 0, 2, ["m5", "m4"]), ("desc", 4, 5, ["m1"]), ("desc", 5, 1, []),
])
def test_unfiltered_offset_and_limit_edges(store, order, offset, limit, expected):
    add(store, *(commit(message=f"m{i}") for i in range(1, 6)))
    page = store.list_commits("classifier", EVERYTHING, order, limit, offset)
    assert messages(page) == expected and page.total == 5


@pytest.mark.parametrize("order, offset, limit, expected", [
    ("asc", 1, 10, ["m3", "m5"]), ("desc", 0, 2, ["m5", "m3"]), ("asc", 3, 1, []),
])
def test_filtered_offset_and_limit_edges(store, order, offset, limit, expected):
    add(store, *(commit(message=f"m{i}", subject="bob" if i % 2 else "alice") for i in range(1, 6)))
    page = store.list_commits("classifier", Compare("subject_id", "=", "bob"), order, limit, offset)
    assert messages(page) == expected and page.total == 3


def test_subject_filter_with_several_ids(store):
    add(store, commit(subject="a", message="a"), commit(subject="b", message="b"),
        commit(subject="c", message="c"))
    page = store.list_commits("classifier", all_of(Compare("subject_type", "=", "users"),
                                                   In("subject_id", ("a", "c"))), "asc", 10, 0)
    assert messages(page) == ["a", "c"] and page.total == 2


def test_object_type_filter_matches_any_object_of_the_commit(store):
    add(store, commit(objects=(("node", "n1"), ("roles", "r1")), message="both"),
        commit(objects=(("node", "n2"),), message="node"),
        commit(objects=(("users", "u1"),), message="user"))
    page = store.list_commits("classifier", Compare("object_types", "=", "roles"), "asc", 10, 0)
    assert messages(page) == ["both"] and page.total == 1


def test_object_id_filter_needs_the_same_object_type(store):
    add(store, commit(objects=(("node", "x"),), message="node-x"),
        commit(objects=(("users", "x"),), message="user-x"),
        commit(objects=(("node", "y"), ("roles", "r")), message="node-y"))
    where = any_of(Compare("object_keys", "=", object_key("node", "x")),
                   Compare("object_keys", "=", object_key("node", "y")))
    page = store.list_commits("classifier", where, "desc", 10, 0)
    assert messages(page) == ["node-y", "node-x"] and page.total == 2


def test_or_of_subject_and_object_without_service_is_a_deduplicated_union(store):
    add(store, commit(subject="s", objects=(("users", "u"),), message="both"),
        commit(service="rbac", subject="s", message="subject"),
        commit(service="pe-console", objects=(("users", "u"),), message="object"),
        commit(message="neither"))
    where = any_of(Compare("subject_id", "=", "s"),
                   Compare("object_keys", "=", object_key("users", "u")))
    page = store.list_commits(None, where, "asc", 10, 0)
    assert messages(page) == ["both", "subject", "object"] and page.total == 3


def test_time_range_is_anded_with_the_alternatives(store):
    add(store, commit(subject="s", timestamp="2019-11-05T00:00:00.000000Z", message="in"),
        commit(subject="s", timestamp="2019-12-05T00:00:00.000000Z", message="after"),
        commit(subject="t", timestamp="2019-11-06T00:00:00.000000Z", message="other"))
    where = all_of(any_of(Compare("subject_id", "=", "s"), Contains("ip_address", "none")),
                   Compare("timestamp", ">=", "2019-11-01T00:00:00.000000Z"),
                   Compare("timestamp", "<=", "2019-12-01T00:00:00.000000Z"))
    for service in (None, "classifier"):
        page = store.list_commits(service, where, "asc", 10, 0)
        assert messages(page) == ["in"] and page.total == 1


def test_time_range_alone_filters_every_service(store):
    add(store, commit(timestamp="2019-11-05T00:00:00.000000Z", message="in"),
        commit(service="rbac", timestamp="2018-01-01T00:00:00.000000Z", message="out"))
    where = all_of(Compare("timestamp", ">=", "2019-11-01T00:00:00.000000Z"),
                   Compare("timestamp", "<=", "2019-12-01T00:00:00.000000Z"))
    page = store.list_commits(None, where, "desc", 10, 0)
    assert messages(page) == ["in"] and page.total == 1


def test_ip_address_partial_match(store):
    add(store, commit(ip="10.16.0.5", message="a"), commit(ip="192.168.0.1", message="b"),
        commit(ip=None, message="none"))
    page = store.list_commits(None, Contains("ip_address", "16"), "asc", 10, 0)
    assert messages(page) == ["a", "b"] and page.total == 2


def test_after_commit_time_is_strict(store):
    add(store, commit(timestamp="2019-01-01T00:00:00.000000Z", message="at"),
        commit(timestamp="2019-01-01T00:00:01.000000Z", message="after"))
    page = store.list_commits("classifier", Compare("timestamp", ">", "2019-01-01T00:00:00.000000Z"),
                              "asc", 10, 0)
    assert messages(page) == ["after"]


def test_events_keep_orchestrator_keys(store):
    event = {"description": "request_facter_on_node", "start_timestamp": "2022-08-08T23:18:58Z",
             "finish_timestamp": "2022-08-08T23:19:00Z", "name": "req_facter", "type": "run_task",
             "duration": 2.324, "state": "finished", "what": "node", "message": "Request ..."}
    new = commit()
    store.add_commit(NewCommit(**{**new.__dict__, "events": (event,)}))
    assert store.list_commits(None, EVERYTHING, "desc", 1, 0).items[0].events == (event,)
