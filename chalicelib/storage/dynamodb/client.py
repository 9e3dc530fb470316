"""The boto3 client, built once per process and reused (Lambda best practice),
and the two retry layers above it (docs/faults.md).

1. botocore, per call: "standard" mode retries throttling (with a 1 s jittered
   exponential base), 5xx and connection errors (25 ms base for DynamoDB), and
   stops early when its client-wide retry quota is spent. Every call this adapter
   makes is safe to repeat: reads; TransactWriteItems, which botocore gives one
   ClientRequestToken for all its attempts (DynamoDB's idempotency token);
   conditional creates and conditional `latest` updates, whose repeat fails the
   condition harmlessly; idempotent event puts; and counter ADDs, whose repeat can
   only skip a number in sequences that are allowed gaps (event ids, activity
   sequence; job numbers and per-service sequences move only in transactions).
2. this adapter, per write: a transaction cancelled by a lost race or by a
   throttled item wrote nothing; it is rebuilt from a fresh read and retried
   (`attempts`: capped exponential backoff with full jitter, 40 attempts).

What outlasts both becomes StoreUnavailable (StoreBusy for contention), which the
API answers with 503 and Retry-After (errors.render_errors).
"""
from __future__ import annotations

import functools
import random
import time
from typing import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from ..base import StoreBusy, StoreUnavailable

# 3 attempts: throttling backs off at most ~1 s + ~2 s per call, so a request
# that makes a handful of calls stays well inside API Gateway's 29 s.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3},
                       connect_timeout=5, read_timeout=10)

LOST_RACE = {"ConditionalCheckFailed", "TransactionConflict"}
THROTTLED_ITEM = {"ThrottlingError", "ProvisionedThroughputExceeded"}
RETRYABLE_CANCELLATIONS = LOST_RACE | THROTTLED_ITEM

# Error codes that say "not now" rather than "wrong request" (what botocore
# retried already, when they still come back).
UNAVAILABLE_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling",
    "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable",
    "TransactionInProgressException", "RequestTimeout", "RequestTimeoutException",
    "LimitExceededException",
})

def make_client():
    # The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when set (moto server in tests).
    return boto3.session.Session().client("dynamodb", config=CLIENT_CONFIG)


def _code(error: ClientError) -> str | None:
    return error.response.get("Error", {}).get("Code")


def _cancellation_reasons(error: ClientError) -> set:
    return {r.get("Code") for r in error.response.get("CancellationReasons", [])} - {"None", None}


def is_lost_race(error: ClientError) -> bool:
    """A conditional write that lost to a concurrent writer: safe to re-read and retry."""
    code = _code(error)
    if code in ("ConditionalCheckFailedException", "TransactionConflictException"):
        return True
    if code == "TransactionCanceledException":
        reasons = _cancellation_reasons(error)
        return bool(reasons) and reasons <= LOST_RACE
    return False


def is_retryable_write(error: ClientError) -> bool:
    """A transaction that wrote nothing and may succeed if rebuilt from a fresh read:
    it lost a race, or one of its items was throttled."""
    if is_lost_race(error):
        return True
    if _code(error) == "TransactionCanceledException":
        reasons = _cancellation_reasons(error)
        return bool(reasons) and reasons <= RETRYABLE_CANCELLATIONS
    return False


def is_unavailable(error: Exception) -> bool:
    """DynamoDB (or the way to it) is overloaded or failing, not the request wrong."""
    if isinstance(error, (ConnectionError, HTTPClientError)):
        return True
    return isinstance(error, ClientError) and _code(error) in UNAVAILABLE_CODES


class GuardedClient:
    """The client the adapter uses: errors that mean "DynamoDB is unavailable"
    (after botocore's retries) become StoreUnavailable; every other error,
    lost races included, passes through unchanged."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if not callable(attribute) or name in ("get_paginator", "get_waiter"):
            return attribute

        @functools.wraps(attribute)
        def call(*args, **kwargs):
            try:
                return attribute(*args, **kwargs)
            except Exception as error:
                if is_unavailable(error):
                    raise StoreUnavailable(f"DynamoDB {name} failed: {error}") from error
                raise
        return call


def attempts(limit: int = 40, base_delay: float = 0.005, max_delay: float = 0.25) -> Iterator[int]:
    """Yield attempt numbers with full-jitter exponential backoff between them
    (capped at `max_delay`, so at most about 9 s of pauses in all); raise StoreBusy
    when `limit` attempts are spent. The budget counts attempts, not seconds: a
    slow backend must not turn into failures a fast one would not have."""
    for attempt in range(limit):
        if attempt:
            sleep(random.uniform(0, min(max_delay, base_delay * 2 ** attempt)))
        yield attempt
    raise StoreBusy(f"too much contention; gave up after {limit} attempts")


def sleep(seconds: float) -> None:
    """The backoff pause (tests replace it to keep fault tests fast)."""
    time.sleep(seconds)
