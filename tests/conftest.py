"""Fixtures shared by every tier: the store on BOTH adapters, and the HTTP client."""
from __future__ import annotations

import contextlib
import os
import re
import threading

# Fake credentials before any boto3 client exists (moto's "pesky imports" rule).
for _key, _value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
                     "AWS_DEFAULT_REGION": "us-east-1"}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
# Fixture reports carry fixed dates that age past PuppetDB's 14-day lifetimes: tests
# keep everything unless they set a lifetime (tests/contract/test_retention.py does).
for _key in ("EVENTS_REPORT_TTL", "EVENTS_RESOURCE_EVENTS_TTL", "EVENTS_NODE_TTL",
             "EVENTS_NODE_PURGE_TTL", "EVENTS_JOB_PRUNE_DAYS_THRESHOLD"):
    os.environ.setdefault(_key, "0")
os.environ.pop("AWS_PROFILE", None)

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import storage  # noqa: E402
from chalicelib.storage.dynamodb import DynamoStorage  # noqa: E402
from chalicelib.storage.dynamodb.client import CLIENT_CONFIG  # noqa: E402
from chalicelib.storage.sqlite import SqliteStorage  # noqa: E402

ADAPTERS = ("sqlite", "dynamodb")


# IAM actions the adapter performed during this run (checked by tests/infra/test_policy.py).
# A transaction is authorised per item, so it records the actions of its items.
DYNAMODB_ACTIONS: set[str] = set()
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem"}
_SETUP_OPERATIONS = {"create_table", "list_tables", "describe_table", "delete_table",
                     "describe_time_to_live", "update_time_to_live"}


def _record(operation: str, kwargs: dict) -> None:
    if operation in _SETUP_OPERATIONS:
        return
    if operation == "transact_write_items":
        for item in kwargs.get("TransactItems", []):
            DYNAMODB_ACTIONS.update("dynamodb:" + _TRANSACT_ACTIONS[k] for k in item)
        return
    DYNAMODB_ACTIONS.add("dynamodb:" + "".join(part.capitalize() for part in operation.split("_")))


# DynamoDB's expression limits, which moto does not enforce (docs: "Constraints in
# Amazon DynamoDB", Expression parameters): every DynamoDB call in the test process is
# checked, and one past a limit fails as the real service answers it.
EXPRESSION_KEYS = ("FilterExpression", "KeyConditionExpression", "ConditionExpression",
                   "UpdateExpression", "ProjectionExpression")
_IN_LIST = re.compile(r"\bIN \(([^)]*)\)")


def _expressions(value):
    """Every expression string in a request, at any depth (transactions, batches)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in EXPRESSION_KEYS and isinstance(inner, str):
                yield key, inner
            else:
                yield from _expressions(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _expressions(inner)


def _key_sizes(request: dict):
    """(size in bytes, limit) of every key value a read names: Key maps (a sort key
    `SK` at most 1024 bytes, a partition key 2048) and a KeyConditionExpression's
    values (its first, the partition key's, 2048; a sort key's bounds 1024)."""
    maps = [request["Key"]] if isinstance(request.get("Key"), dict) else []
    for table in (request.get("RequestItems") or {}).values():
        maps += table.get("Keys", []) if isinstance(table, dict) else []
    for key_map in maps:
        for name, value in key_map.items():
            yield len(value.get("S", "").encode("utf-8", "surrogatepass")), 1024 if name == "SK" else 2048
    condition = request.get("KeyConditionExpression")
    if isinstance(condition, str):
        for position, placeholder in enumerate(re.findall(r":\w+", condition)):
            value = request["ExpressionAttributeValues"][placeholder].get("S", "")
            yield len(value.encode("utf-8", "surrogatepass")), 2048 if position == 0 else 1024


def expression_limit_broken(request: dict) -> str | None:
    """The first DynamoDB expression or key-size limit a request breaks, or None."""
    from chalicelib.query.dynamodb import MAX_EXPRESSION_BYTES, MAX_IN_OPERANDS, operator_count
    for size, limit in _key_sizes(request):
        if size > limit:
            return (f"One or more parameter values were invalid: a key of {size} bytes "
                    f"exceeds the maximum size limit of {limit} bytes")
    for key, text in _expressions(request):
        if len(text.encode("utf-8")) > MAX_EXPRESSION_BYTES:
            return f"Invalid {key}: Expression size has exceeded the maximum allowed size"
        for operands in _IN_LIST.findall(text):
            if operands.count(",") + 1 > MAX_IN_OPERANDS:
                return f"Invalid {key}: The IN operator is provided with too many operands"
        if key != "ProjectionExpression" and operator_count(text) > 300:
            return f"Invalid {key}: The expression contains too many operators"
    return None


def _check_expression_limits():
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError
    make_api_call = BaseClient._make_api_call

    def checked(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb":
            broken = expression_limit_broken(api_params)
            if broken:
                raise ClientError({"Error": {"Code": "ValidationException", "Message": broken}},
                                  operation_name)
        return make_api_call(self, operation_name, api_params)
    BaseClient._make_api_call = checked


_check_expression_limits()


class AtomicRequests:
    """A boto3 client whose calls run one at a time, recording the IAM actions used.

    Real DynamoDB executes each request atomically; moto's in-process backend
    does not lock, and concurrent calls corrupt its state. Serialising whole
    calls keeps DynamoDB's guarantee while still interleaving the calls of
    concurrent writers, which is where our conditional-write retries matter.
    """

    def __init__(self, client):
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if not callable(attribute) or name in ("get_paginator", "get_waiter"):
            return attribute

        def call(*args, **kwargs):
            _record(name, kwargs)
            with self._lock:
                return attribute(*args, **kwargs)
        return call


def make_store(kind: str, tmp_path):
    if kind == "sqlite":
        return SqliteStorage(str(tmp_path / "events.db"))
    # The service's client configuration (retry mode and attempts), as in the cloud.
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", config=CLIENT_CONFIG)
    store = DynamoStorage("test-", client=AtomicRequests(dynamodb))
    store.create_tables()
    return store


@pytest.fixture(params=ADAPTERS)
def store(request, tmp_path):
    """The storage port, once per adapter: every contract test runs on both."""
    if request.param == "dynamodb":
        with mock_aws():
            yield make_store("dynamodb", tmp_path)
    else:
        sqlite_store = make_store("sqlite", tmp_path)
        yield sqlite_store
        sqlite_store.close()


def _credentialed_client_classes():
    from chalice.test import Client, TestHTTPClient

    class CredentialedHTTPClient(TestHTTPClient):
        """Sends `X-Authentication: <token>` unless the test sets that header
        itself; token None sends no credentials."""

        def __init__(self, app, config, token: str | None):
            super().__init__(app, config)
            self.token = token

        def request(self, method, path, headers=None, body=b""):
            headers = dict(headers or {})
            if self.token and not any(k.lower() == "x-authentication" for k in headers):
                headers["X-Authentication"] = self.token
            return super().request(method, path, headers=headers, body=body)

    class CredentialedClient(Client):
        """`client.http` carries an admin token; `client.http_as(token)` gives an
        HTTP client with another token (or none); `client.issue(*scopes)` stores
        a new token and returns its secret."""

        def __init__(self, app, store, **kwargs):
            super().__init__(app, **kwargs)
            self.store = store
            self.admin_token = self.issue("admin", label="test admin")

        @property
        def http(self):
            if self._http_client is None:
                self._http_client = self.http_as(self.admin_token)
            return self._http_client

        def http_as(self, token: str | None):
            return CredentialedHTTPClient(self._app, self._chalice_config, token)

        def issue(self, *scopes: str, **options) -> str:
            from chalicelib.auth import tokens
            issued = tokens.issue(scopes, **options)
            self.store.add_token(issued.token)
            return issued.secret

    return CredentialedClient


@contextlib.contextmanager
def serving(store, stage_name: str = "local"):
    """`chalice.test.Client` over the app on `stage_name`, with `store` as its storage;
    requests carry an admin token (see CredentialedClient for other credentials)."""
    from app import app
    storage.use(store)
    try:
        with _credentialed_client_classes()(app, store, stage_name=stage_name) as test_client:
            yield test_client
    finally:
        storage.use(None)


@pytest.fixture
def client(store):
    """The app on the `local` stage over the store of this parametrisation (serving)."""
    with serving(store) as test_client:
        yield test_client
