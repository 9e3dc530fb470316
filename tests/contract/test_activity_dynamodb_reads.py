"""What the DynamoDB activity reads cost (issue 8, figure 3: at most 1.25 items read per
item returned on indexed patterns, no Scan; docs/dynamodb.md, "Activity service").
Counted, not timed: the items each request read (ScannedCount) on moto."""
from __future__ import annotations

import pytest
from moto import mock_aws

from tests.activity_factories import add, commit, messages
from chalicelib.activity.model import object_key
from chalicelib.query.ast import Compare, all_of, any_of
from tests.conftest import make_store

TARGET = 1.25       # items read per item returned


class ReadLog:
    """Wraps the adapter's client: every read request and the items it read."""

    def __init__(self, client):
        self._client = client
        self.requests: list[tuple[str, dict, int]] = []

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if name not in ("query", "scan", "get_item"):
            return attribute

        def call(**kwargs):
            response = attribute(**kwargs)
            self.requests.append((name, kwargs, response.get("ScannedCount", 0)))
            return response
        return call

    def items_read(self) -> int:
        """ScannedCount of the requests that fetch items (not the COUNTs behind totals)."""
        return sum(n for op, kwargs, n in self.requests
                   if op in ("query", "scan") and kwargs.get("Select") != "COUNT")

    def partitions(self) -> list[str]:
        return [value["S"] for op, kwargs, _ in self.requests if op == "query"
                for value in [kwargs["ExpressionAttributeValues"].get(":h")
                              or kwargs["ExpressionAttributeValues"].get(":pk")]]

    def operations(self) -> list[str]:
        return [op for op, _, _ in self.requests]


@pytest.fixture
def dynamo_store(tmp_path):
    with mock_aws():
        yield make_store("dynamodb", tmp_path)


def _three_services(store, per_service=6):
    for n in range(per_service):
        add(store, commit(message=f"c{n}", subject="alice" if n % 3 == 0 else "bob",
                          objects=(("node", f"n{n}"),)),
            commit(service="rbac", message=f"r{n}", subject="carol",
                   objects=(("users", f"u{n}"),)),
            commit(service="pe-console", message=f"p{n}", subject="carol",
                   objects=(("node", f"n{n}"),)))


def _reading(store) -> ReadLog:
    log = ReadLog(store.client)
    store.client = log
    return log


def test_subject_listing_of_every_service_reads_no_service_registry(dynamo_store):
    _three_services(dynamo_store)
    log = _reading(dynamo_store)
    page = dynamo_store.list_commits(None, Compare("subject_id", "=", "alice"), "desc", 100, 0)
    assert messages(page) == ["c3", "c0"] and page.total == 2
    assert log.partitions() == ["SUBJ#alice", "SUBJ#alice"]      # the page and its COUNT
    assert log.items_read() <= TARGET * len(page.items)


def test_object_listing_of_every_service_reads_no_service_registry(dynamo_store):
    _three_services(dynamo_store)
    log = _reading(dynamo_store)
    where = any_of(Compare("object_keys", "=", object_key("node", "n1")),
                   Compare("object_types", "=", "users"))
    page = dynamo_store.list_commits(None, where, "asc", 100, 0)
    assert messages(page) == ["r0", "c1", "r1", "p1", "r2", "r3", "r4", "r5"]
    assert set(log.partitions()) == {"OBJ#" + object_key("node", "n1"), "OBJT#users"}


def test_object_or_subject_within_a_time_range_stays_keyed(dynamo_store):
    _three_services(dynamo_store, per_service=2)
    log = _reading(dynamo_store)
    where = all_of(any_of(Compare("subject_id", "=", "alice"),
                          Compare("object_keys", "=", object_key("users", "u1"))),
                   Compare("timestamp", ">=", "2000-01-01T00:00:00.000000Z"))
    page = dynamo_store.list_commits(None, where, "asc", 100, 0)
    assert messages(page) == ["c0", "r1"]
    assert set(log.partitions()) == {"SUBJ#alice", "OBJ#" + object_key("users", "u1")}
