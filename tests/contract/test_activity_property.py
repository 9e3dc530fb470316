"""Property: random commits and random v2 queries give the same commits, in the
same order, with the same total, on SQLite, on DynamoDB (moto) and from the
reference evaluator (query/evaluate.py `select`)."""
from __future__ import annotations

import itertools
import json
import tempfile

import boto3
import pytest
from hypothesis import given, settings, strategies as st
from moto import mock_aws

from chalicelib.activity import parsing
from chalicelib.activity.model import Entity, NewCommit, full_filter, record, sort_keys
from chalicelib.query import evaluate
from chalicelib.storage.dynamodb import DynamoStorage
from chalicelib.storage.sqlite import SqliteStorage

SERVICES = ("classifier", "rbac", "puppet-ca")
SUBJECTS = ("u1", "u2", "u3")
OBJECTS = (("node", "n1"), ("node", "n2"), ("users", "u1"), ("roles", "r1"))
IPS = (None, "10.0.0.1", "10.1.2.3", "192.168.0.10")
TIMES = ("2019-11-01T00:00:00Z", "2019-11-15T12:00:00Z", "2019-12-01T00:00:00Z",
         "2020-01-01T00:00:00Z")

commits = st.lists(st.tuples(
    st.sampled_from(SERVICES), st.sampled_from(SUBJECTS),
    st.lists(st.sampled_from(OBJECTS), min_size=1, max_size=2, unique=True),
    st.sampled_from(IPS), st.sampled_from(TIMES)), min_size=2, max_size=8)

query_items = st.one_of(
    st.builds(lambda s: {"subject_id": s}, st.sampled_from(SUBJECTS)),
    st.builds(lambda o: {"object_type": o[0], "object_id": o[1]}, st.sampled_from(OBJECTS)),
    st.builds(lambda o: {"object_type": o[0]}, st.sampled_from(OBJECTS)),
    st.builds(lambda ip: {"ip_address": ip}, st.sampled_from(("10.", "0.1", "192"))),
)
time_ranges = st.tuples(st.sampled_from(TIMES), st.sampled_from(TIMES)).map(
    lambda t: {"start": min(t), "end": max(t)})
queries = st.fixed_dictionaries({
    "service_id": st.sampled_from((None,) + SERVICES),
    "items": st.lists(query_items, max_size=3),
    "range": st.one_of(st.none(), time_ranges),
    "order": st.sampled_from(("asc", "desc")),
    "offset": st.integers(0, 5),
    "limit": st.integers(1, 6),
})

_prefixes = itertools.count()


def _new_commit(index, spec) -> NewCommit:
    service, subject, objects, ip, stamp = spec
    return NewCommit(service_id=service, subject=Entity(subject, subject, "users"),
                     objects=tuple(Entity(i, i, t) for t, i in objects),
                     timestamp=parsing.timestamps.normalise(stamp),
                     events=({"message": f"m{index}"},), ip_address=ip)


def _params(query) -> dict:
    items = query["items"] + ([query["range"]] if query["range"] else [])
    params = {"order": query["order"], "offset": str(query["offset"]), "limit": str(query["limit"])}
    if query["service_id"]:
        params["service_id"] = query["service_id"]
    if items:
        params["query"] = json.dumps(items)
    return params


def _seen(page) -> tuple[list[str], int]:
    return [c.events[0]["message"] for c in page.items], page.total


@pytest.fixture(scope="module")
def dynamodb():
    """One moto backend for the module (a new one per example is slow); each
    example gets its own tables under a fresh prefix."""
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(commits, st.lists(queries, min_size=4, max_size=8))
def test_adapters_agree_with_the_reference_evaluator(dynamodb, specs, query_list):
    with tempfile.TemporaryDirectory() as directory:
        sqlite_store = SqliteStorage(f"{directory}/events.db")
        dynamo_store = DynamoStorage(f"p{next(_prefixes)}-",
                                     client=dynamodb)
        dynamo_store.create_tables(wait=False)
        records = []
        for index, spec in enumerate(specs):
            new = _new_commit(index, spec)
            stored = sqlite_store.add_commit(new)
            dynamo_store.add_commit(new)
            records.append({**record(new, stored.sequence), "message": f"m{index}"})
        for query in query_list:
            listing = parsing.v2_listing(_params(query).get)
            node = full_filter(listing.service_id, listing.where)
            page, total = evaluate.select(node, records, sort_keys(listing.order),
                                          listing.offset, listing.limit)
            expected = ([r["message"] for r in page], total)
            arguments = (listing.service_id, listing.where, listing.order, listing.limit,
                         listing.offset)
            assert _seen(sqlite_store.list_commits(*arguments)) == expected
            assert _seen(dynamo_store.list_commits(*arguments)) == expected
        sqlite_store.close()
        # moto copies every table on each transaction: keep the backend small.
        for name in dynamodb.list_tables()["TableNames"]:
            dynamodb.delete_table(TableName=name)
