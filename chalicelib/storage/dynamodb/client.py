"""The boto3 client, built once per process and reused (Lambda best practice),
and the retry loop for optimistic writes."""
from __future__ import annotations

import random
import time
from typing import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..base import StoreBusy

# botocore retries throttling and 5xx itself ("standard" mode, with backoff).
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 6},
                       connect_timeout=5, read_timeout=10)

RETRYABLE_CANCELLATIONS = {"ConditionalCheckFailed", "TransactionConflict"}


def make_client():
    # The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when set (moto server in tests).
    return boto3.session.Session().client("dynamodb", config=CLIENT_CONFIG)


def is_lost_race(error: ClientError) -> bool:
    """A conditional write that lost to a concurrent writer: safe to re-read and retry."""
    code = error.response.get("Error", {}).get("Code")
    if code in ("ConditionalCheckFailedException", "TransactionConflictException"):
        return True
    if code == "TransactionCanceledException":
        reasons = {r.get("Code") for r in error.response.get("CancellationReasons", [])}
        return bool(reasons & RETRYABLE_CANCELLATIONS) and reasons <= RETRYABLE_CANCELLATIONS | {"None", None}
    return False


def attempts(limit: int = 40, base_delay: float = 0.005, max_delay: float = 0.25) -> Iterator[int]:
    """Yield attempt numbers with jittered exponential backoff between them;
    raise StoreBusy when the budget is spent."""
    for attempt in range(limit):
        if attempt:
            time.sleep(random.uniform(0, min(max_delay, base_delay * 2 ** attempt)))
        yield attempt
    raise StoreBusy("too much contention; gave up after %d attempts" % limit)
