"""What the DynamoDB activity reads cost (issue 8, figure 3: at most 1.25 items read per
item returned on indexed patterns, no Scan) and the all-services copy that makes the
unfiltered all-services listing one Query (docs/dynamodb.md, "Activity service").
Counted, not timed: the items each request read (ScannedCount) on moto."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from tests.activity_factories import add, commit, messages
from chalicelib.activity.model import (ITEMS_PER_COMMIT, MAX_OBJECTS_PER_COMMIT,
                                       TRANSACTION_ITEMS, object_key)
from chalicelib.cli.__main__ import main
from chalicelib.query.ast import EVERYTHING, Compare, Contains, all_of, any_of
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


def _as_before_the_copy(store):
    """The table as code before the all-services copy left it: no ALL items, and
    COUNTER/ALL without `copies`. Through a client of its own: DeleteItem is no action
    of the adapter's (tests/infra/test_policy.py)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = store.table_name("activity")
    items = client.query(TableName=table, KeyConditionExpression="PK = :pk",
                         ExpressionAttributeValues={":pk": {"S": "ALL"}})["Items"]
    for item in items:
        client.delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})
    client.update_item(TableName=table, Key={"PK": {"S": "COUNTER"}, "SK": {"S": "ALL"}},
                       UpdateExpression="REMOVE copies")


def test_all_services_listing_is_one_query_reading_only_the_page(dynamo_store):
    _three_services(dynamo_store)
    log = _reading(dynamo_store)
    page = dynamo_store.list_commits(None, EVERYTHING, "desc", 5, 0)
    assert messages(page) == ["p5", "r5", "c5", "p4", "r4"] and page.total == 18
    assert log.partitions() == ["ALL"] and "scan" not in log.operations()
    assert log.items_read() <= TARGET * len(page.items)


def test_all_services_offset_is_read_and_dropped(dynamo_store):
    _three_services(dynamo_store)
    log = _reading(dynamo_store)
    page = dynamo_store.list_commits(None, EVERYTHING, "asc", 4, 3)
    assert messages(page) == ["c1", "r1", "p1", "c2"]
    assert log.partitions() == ["ALL"] and log.items_read() == 3 + 4


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


def test_unkeyed_filter_of_every_service_reads_the_all_services_copy(dynamo_store):
    add(dynamo_store, commit(message="c", ip="10.0.0.1"),
        commit(service="rbac", message="r", ip="10.0.0.2"), commit(message="x", ip="192.168.0.1"))
    log = _reading(dynamo_store)
    page = dynamo_store.list_commits(None, Contains("ip_address", "10.0"), "asc", 10, 0)
    assert messages(page) == ["c", "r"] and page.total == 2
    assert set(log.partitions()) == {"ALL"} and "scan" not in log.operations()


def test_table_written_before_the_copy_falls_back_to_every_service_partition(dynamo_store):
    _three_services(dynamo_store, per_service=2)
    _as_before_the_copy(dynamo_store)
    add(dynamo_store, commit(service="rbac", subject="dave", message="new"))   # with its copy
    log = _reading(dynamo_store)
    page = dynamo_store.list_commits(None, EVERYTHING, "asc", 10, 0)
    assert messages(page) == ["c0", "r0", "p0", "c1", "r1", "p1", "new"] and page.total == 7
    assert "SVC#classifier" in log.partitions()
    assert "ALL" not in log.partitions()      # the counters are checked before any page


def test_table_written_before_the_copy_reads_every_partition_when_the_fan_out_is_too_wide(
        dynamo_store, monkeypatch):
    monkeypatch.setattr("chalicelib.query.dynamodb.MAX_FAN_OUT", 1)
    add(dynamo_store, commit(message="c", ip="10.0.0.1"),
        commit(service="rbac", message="r", ip="10.0.0.2"), commit(message="x", ip="192.168.0.1"))
    _as_before_the_copy(dynamo_store)
    page = dynamo_store.list_commits(None, Contains("ip_address", "10.0"), "asc", 10, 0)
    assert messages(page) == ["c", "r"] and page.total == 2


def test_backfill_copies_old_commits_once_and_restores_the_one_query_listing(dynamo_store):
    _three_services(dynamo_store, per_service=2)
    _as_before_the_copy(dynamo_store)
    add(dynamo_store, commit(service="rbac", subject="dave", message="new"))
    assert dynamo_store.backfill_all_services() == 6
    assert dynamo_store.backfill_all_services() == 0
    log = _reading(dynamo_store)
    page = dynamo_store.list_commits(None, EVERYTHING, "asc", 10, 0)
    assert messages(page) == ["c0", "r0", "p0", "c1", "r1", "p1", "new"] and page.total == 7
    assert log.partitions() == ["ALL"]
    # The copies stay out of the subject index: a subject's commits appear once.
    alice = dynamo_store.list_commits(None, Compare("subject_id", "=", "alice"), "asc", 10, 0)
    assert messages(alice) == ["c0"] and alice.total == 1


def test_backfill_command_reports_the_copies_it_wrote(dynamo_store, monkeypatch, capsys):
    add(dynamo_store, commit(message="old"))
    _as_before_the_copy(dynamo_store)
    monkeypatch.setenv("EVENTS_STORAGE", "dynamodb")
    monkeypatch.setenv("EVENTS_TABLE_PREFIX", "test-")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert main(["backfill-activity"]) == 0
    assert "1 commit(s) copied" in capsys.readouterr().out
    assert messages(dynamo_store.list_commits(None, EVERYTHING, "asc", 10, 0)) == ["old"]


def test_commit_with_the_most_objects_of_distinct_types_fits_one_transaction(dynamo_store):
    sizes = []
    transact = dynamo_store.client.transact_write_items

    def counting(**kwargs):
        sizes.append(len(kwargs["TransactItems"]))
        return transact(**kwargs)

    dynamo_store.client.transact_write_items = counting
    objects = tuple((f"type{n}", f"id{n}") for n in range(MAX_OBJECTS_PER_COMMIT))
    add(dynamo_store, commit(objects=objects, message="wide"))
    assert sizes == [ITEMS_PER_COMMIT + 2 * MAX_OBJECTS_PER_COMMIT]
    assert sizes[0] <= TRANSACTION_ITEMS
    page = dynamo_store.list_commits(None, Compare("object_types", "=", "type44"), "asc", 10, 0)
    assert messages(page) == ["wide"]
    assert messages(dynamo_store.list_commits(None, EVERYTHING, "asc", 10, 0)) == ["wide"]
