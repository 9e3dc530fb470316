"""DynamoDB-only behaviour of the activity adapter: the optimistic write path
(docs/dynamodb.md, "Activity service"; its reads: test_activity_dynamodb_reads.py)."""
from __future__ import annotations

import pytest
from moto import mock_aws

from tests.activity_factories import commit, messages
from chalicelib.query.ast import EVERYTHING
from tests.conftest import make_store


@pytest.fixture
def dynamo_store(tmp_path):
    """DynamoDB alone: its optimistic write path has no SQLite counterpart."""
    with mock_aws():
        yield make_store("dynamodb", tmp_path)


def test_dynamodb_writer_that_loses_a_race_retries_behind_the_winner(dynamo_store):
    """A concurrent commit lands between reading the service counter and writing:
    the loser retries with a new, larger sequence, so sequence order = commit order."""
    store = dynamo_store
    reserve = store._reserve_sequence
    state = {"raced": False}

    def racing_reserve(count=1):
        if not state["raced"]:
            state["raced"] = True
            store._reserve_sequence = reserve
            store.add_commit(commit(message="winner"))
            store._reserve_sequence = racing_reserve
        return reserve(count)

    store._reserve_sequence = racing_reserve
    loser = store.add_commit(commit(message="loser"))
    page = store.list_commits("classifier", EVERYTHING, "asc", 10, 0)
    assert messages(page) == ["winner", "loser"] and page.total == 2
    assert page.items[1].sequence == loser.sequence > page.items[0].sequence
