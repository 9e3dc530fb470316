"""Fault tests: DynamoDB on moto with faults injected under botocore, and no real
backoff pauses (botocore's and the adapter's are replaced; nothing is timed)."""
from __future__ import annotations

import boto3
import pytest
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws

from chalicelib.storage.dynamodb import client as dynamodb_client
from chalicelib.storage.dynamodb.tables import TABLES
from tests.conftest import make_store
from tests.faults.injection import Faults


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """botocore's retry delay -> 0; the adapter's pauses are recorded, not slept."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    pauses: list[float] = []
    monkeypatch.setattr(dynamodb_client, "sleep", pauses.append)
    return pauses


@pytest.fixture(scope="module")
def _tables(tmp_path_factory):
    """One moto backend and set of tables per module (creating them is most of a
    test's time); each test starts from empty tables."""
    with mock_aws():
        yield make_store("dynamodb", tmp_path_factory.mktemp("dynamodb"))


def _empty(prefix: str) -> None:
    # A client of its own: these calls are not the adapter's (tests/infra/test_policy.py).
    client = boto3.client("dynamodb", region_name="us-east-1")
    for spec in TABLES:
        keys = [spec.hash_key[0]] + ([spec.range_key[0]] if spec.range_key else [])
        for page in client.get_paginator("scan").paginate(TableName=prefix + spec.name):
            for item in page["Items"]:
                client.delete_item(TableName=prefix + spec.name, Key={k: item[k] for k in keys})


@pytest.fixture
def dynamo(_tables):
    _empty(_tables.table_prefix)
    return _tables


@pytest.fixture
def faults(dynamo):
    injected = Faults(dynamo.client)
    yield injected
    injected.remove()
