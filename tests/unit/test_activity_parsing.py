"""Pure tests of activity request parsing (documents 003/004) into the common AST."""
from __future__ import annotations

import json

import pytest

from chalicelib.activity import parsing
from chalicelib.activity.model import MAX_OBJECTS_PER_COMMIT, object_key
from chalicelib.errors import ApiError
from chalicelib.query.ast import EVERYTHING, And, Compare, Contains, In, Or


def v2(**params):
    return parsing.v2_listing(params.get)


def v1(lists=None, **params):
    lists = lists or {}
    return parsing.v1_listing(params.get, lambda n: lists.get(n, []))


def test_v2_defaults():
    listing = v2()
    assert (listing.service_id, listing.where, listing.order, listing.limit, listing.offset) == \
        (None, EVERYTHING, "desc", 1000, 0)


def test_csv_default_limit_is_ten_thousand():
    assert v2().limit == 1000
    assert parsing.v2_listing({}.get, csv=True).limit == parsing.DEFAULT_CSV_LIMIT == 10000


def test_v2_items_are_ored_and_range_is_anded():
    query = [{"subject_id": "s"}, {"object_type": "node", "object_id": "n"}, {"ip_address": "10."},
             {"start": "2019-11-01T21:32:39Z", "end": "2019-12-01T00:00:00+01:00"}]
    where = v2(query=json.dumps(query)).where
    assert isinstance(where, And)
    alternatives, low, high = where.terms
    assert alternatives == Or((Compare("subject_id", "=", "s"),
                               Compare("object_keys", "=", object_key("node", "n")),
                               Contains("ip_address", "10.")))
    assert low == Compare("timestamp", ">=", "2019-11-01T21:32:39.000000Z")
    assert high == Compare("timestamp", "<=", "2019-11-30T23:00:00.000000Z")


def test_v2_accepts_the_documented_query_object_wrapper():
    where = v2(query=json.dumps({"query": [{"object_type": "users"}]})).where
    assert where == Compare("object_types", "=", "users")


def test_v1_subject_ids_become_membership():
    where = v1({"subject_id": ["a", "b", "a"]}, service_id="rbac", subject_type="users").where
    assert where == And((Compare("subject_type", "=", "users"), In("subject_id", ("a", "b"))))


def test_v1_after_service_commit_time_is_strictly_after():
    where = v1(service_id="rbac", after_service_commit_time="2019-01-01T00:00:00Z").where
    assert where == Compare("timestamp", ">", "2019-01-01T00:00:00.000000Z")


@pytest.mark.parametrize("params, parameter", [
    ({}, "service_id"), ({"service_id": " "}, "service_id"),
    ({"service_id": "rbac", "limit": "0"}, "limit"),
    ({"service_id": "rbac", "limit": "1.5"}, "limit"),
])
def test_v1_errors_name_the_parameter(params, parameter):
    with pytest.raises(ApiError) as caught:
        v1(**params)
    assert caught.value.status == 400 and caught.value.details["parameter"] == parameter


def test_commit_accepts_ip_hyphen_and_assigns_time():
    body = {"commit": {"service": {"id": "puppet-ca"}, "subject": {"id": "u", "name": "admin"},
                       "objects": [{"id": "n", "name": "n", "type": "node"}],
                       "ip-address": "10.0.0.9"}}
    commit = parsing.new_commit(body, version=2, now="2024-01-01T00:00:00.000000Z")
    assert commit.ip_address == "10.0.0.9" and commit.timestamp == "2024-01-01T00:00:00.000000Z"


def test_commit_with_too_many_objects_is_rejected():
    body = {"commit": {"service": {"id": "rbac"}, "subject": {"id": "u"},
                       "objects": [{"id": str(i), "type": "node"}
                                   for i in range(MAX_OBJECTS_PER_COMMIT + 1)]}}
    with pytest.raises(ApiError) as caught:
        parsing.new_commit(body, version=2, now="2024-01-01T00:00:00.000000Z")
    assert caught.value.details["key"] == "commit.objects"


def test_commit_with_the_most_objects_is_accepted():
    body = {"commit": {"service": {"id": "rbac"}, "subject": {"id": "u"},
                       "objects": [{"id": str(i), "type": "node"}
                                   for i in range(MAX_OBJECTS_PER_COMMIT)]}}
    commit = parsing.new_commit(body, version=2, now="2024-01-01T00:00:00.000000Z")
    assert len(commit.objects) == MAX_OBJECTS_PER_COMMIT
