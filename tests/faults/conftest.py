"""Fault tests: DynamoDB on moto with faults injected under botocore, and no real
backoff pauses (botocore's and the adapter's are replaced; nothing is timed)."""
from __future__ import annotations

import pytest
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws

from chalicelib.storage.dynamodb import client as dynamodb_client
from tests.conftest import make_store
from tests.faults.injection import Faults


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """botocore's retry delay -> 0; the adapter's pauses are recorded, not slept."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    pauses: list[float] = []
    monkeypatch.setattr(dynamodb_client, "sleep", pauses.append)
    return pauses


@pytest.fixture
def dynamo(tmp_path):
    with mock_aws():
        yield make_store("dynamodb", tmp_path)


@pytest.fixture
def faults(dynamo):
    return Faults(dynamo.client)
