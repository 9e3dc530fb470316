"""The storage port's `ping` (the status service's `read_db_up?`, puppetdb/status.py)
on both adapters: True while the store answers, False (never an exception) once it
cannot, and on DynamoDB one GetItem, nothing more."""
from __future__ import annotations

import pytest

from tests.contract.test_activity_dynamodb_reads import ReadLog


def _break(store) -> None:
    """A real failure of each backend: SQLite's connection closed under the adapter,
    DynamoDB's tokens table gone (ResourceNotFoundException)."""
    if hasattr(store, "table_name"):
        store.client.delete_table(TableName=store.table_name("tokens"))
    else:
        store.db().conn.close()


def test_ping_is_true_while_the_store_answers(store):
    assert store.ping() is True


def test_ping_is_false_not_an_error_when_the_store_fails(store):
    _break(store)
    assert store.ping() is False


@pytest.mark.parametrize("store", ["dynamodb"], indirect=True)
def test_a_dynamodb_ping_is_one_get_item(store):
    log = ReadLog(store.client._client)
    store.client._client = log
    assert store.ping() is True
    assert log.operations() == ["get_item"]
    assert log.requests[0][1]["TableName"] == store.table_name("tokens")
