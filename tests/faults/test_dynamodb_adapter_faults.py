"""The DynamoDB adapter under injected faults (docs/faults.md): what botocore
retries, what the adapter retries, what becomes StoreUnavailable, and that a
failed write leaves nothing of itself visible."""
from __future__ import annotations

import random

import pytest
from botocore.exceptions import ClientError

from chalicelib.orchestrator.model import UnknownJob
from chalicelib.puppetdb import demo
from chalicelib.puppetdb.dialects import v1_4
from chalicelib.puppetdb.catalogue import full_order
from chalicelib.query.ast import EVERYTHING
from chalicelib.storage.base import StoreBusy, StoreUnavailable
from chalicelib.storage.dynamodb import client as dynamodb_client
from tests.activity_factories import commit
from tests.factories import new_job, node_event
from tests.faults.injection import THROTTLING

BOTOCORE_ATTEMPTS = dynamodb_client.CLIENT_CONFIG.retries["total_max_attempts"]


def _jobs_total(store) -> int:
    return store.list_jobs(EVERYTHING, "name", "asc", 10, 0).total


def _commits_total(store) -> int:
    return store.list_commits(None, EVERYTHING, "asc", 10, 0).total


def _visible(store, report) -> int:
    return store.find_events(v1_4.parse(["=", "report", report.hash]), full_order(()), 0, None).total


def _latest(store) -> set[str]:
    page = store.find_events(v1_4.parse(["=", "latest-report", True]), full_order(()), 0, None)
    return {e["report"] for e in page.items}


# ------------------------------------------------------------------ botocore's layer
@pytest.mark.parametrize("code", THROTTLING + ("InternalServerError",))
def test_botocore_retries_a_failing_read_then_gives_up_with_store_unavailable(dynamo, faults, code):
    dynamo.create_job(new_job())
    faults.sent.clear()
    faults.error("GetItem", code, times=BOTOCORE_ATTEMPTS - 1)
    assert dynamo.get_job(1).number == 1                 # the last attempt got through
    assert faults.sent["GetItem"] == BOTOCORE_ATTEMPTS

    faults.error("Query", code)
    with pytest.raises(StoreUnavailable) as raised:
        _jobs_total(dynamo)
    assert not isinstance(raised.value, StoreBusy)
    assert faults.sent["Query"] == BOTOCORE_ATTEMPTS


def test_botocore_retries_a_transaction_with_one_idempotency_token(dynamo, faults):
    faults.error("TransactWriteItems", "InternalServerError", times=1)
    assert dynamo.create_job(new_job()).number == 1
    tokens = [body["ClientRequestToken"] for op, body in faults.requests if op == "TransactWriteItems"]
    # DynamoDB applies a token's transaction once: a retry after an ambiguous 500 is safe.
    assert len(tokens) == 2 and tokens[0] == tokens[1] and tokens[0]
    assert _jobs_total(dynamo) == 1


# ------------------------------------------------------------------ the adapter's layer
def _create_job(store):
    return store.create_job(new_job())


def _append_events(store):
    return store.append_job_events(1, [node_event("node_running", "a.example.com")])


def _add_commit(store):
    return store.add_commit(commit())


def _stored(store) -> dict:
    events = store.job_events(1, 0, 100) if store.get_job(1) else []
    return {"jobs": _jobs_total(store), "events": len(events), "commits": _commits_total(store)}


WRITES = {"create_job": (_create_job, {"jobs": 2, "events": 0, "commits": 0}),
          "append_job_events": (_append_events, {"jobs": 1, "events": 1, "commits": 0}),
          "add_commit": (_add_commit, {"jobs": 1, "events": 0, "commits": 1})}


@pytest.mark.parametrize("write, reasons", [
    ("create_job", ("ConditionalCheckFailed",)),
    ("append_job_events", ("None", "TransactionConflict")),
    ("add_commit", ("ThrottlingError",)),
    ("append_job_events", ("ProvisionedThroughputExceeded",)),
])
def test_a_cancelled_transaction_is_rebuilt_and_stored_once(dynamo, faults, no_backoff, write, reasons):
    dynamo.create_job(new_job(("a.example.com",)))
    perform, expected = WRITES[write]
    faults.cancel(*reasons, times=3)
    perform(dynamo)
    assert _stored(dynamo) == expected
    assert len(no_backoff) == 3            # one backoff pause before each rebuilt attempt


@pytest.mark.parametrize("write", WRITES)
def test_a_write_that_keeps_losing_gives_up_busy_and_stores_nothing(dynamo, faults, write):
    dynamo.create_job(new_job(("a.example.com",)))
    perform, _ = WRITES[write]
    faults.cancel("ConditionalCheckFailed")
    with pytest.raises(StoreBusy):
        perform(dynamo)
    faults.clear()
    assert _stored(dynamo) == {"jobs": 1, "events": 0, "commits": 0}


@pytest.mark.parametrize("write", WRITES)
def test_a_write_throttled_past_botocores_attempts_is_unavailable_and_stores_nothing(dynamo, faults, write):
    dynamo.create_job(new_job(("a.example.com",)))
    perform, _ = WRITES[write]
    faults.error("TransactWriteItems", "ProvisionedThroughputExceededException")
    with pytest.raises(StoreUnavailable):
        perform(dynamo)
    faults.clear()
    assert _stored(dynamo) == {"jobs": 1, "events": 0, "commits": 0}


def test_a_transaction_refused_for_another_reason_is_not_retried(dynamo, faults):
    faults.cancel("ValidationError")
    with pytest.raises(ClientError):
        dynamo.create_job(new_job())
    assert faults.sent["TransactWriteItems"] == 1


def test_an_unknown_job_is_still_reported_as_such_under_faults(dynamo, faults):
    faults.error("GetItem", "ThrottlingException", times=1)
    with pytest.raises(UnknownJob):
        _append_events(dynamo)


def test_backoff_is_exponential_capped_and_jittered(no_backoff, monkeypatch):
    monkeypatch.setattr(random, "uniform", lambda low, high: high)    # the jitter's upper bound
    with pytest.raises(StoreBusy):
        for _ in dynamodb_client.attempts(limit=9, base_delay=0.01, max_delay=0.5):
            pass
    assert no_backoff == [0.02, 0.04, 0.08, 0.16, 0.32, 0.5, 0.5, 0.5]


# ------------------------------------------------------------------ reports
REPORT, OTHER = demo.example_reports()


def test_unprocessed_batch_items_are_resent_until_written(dynamo, faults, no_backoff):
    faults.unprocessed(times=2)
    assert dynamo.store_report(REPORT) is True
    assert _visible(dynamo, REPORT) == len(REPORT.events)
    assert len(no_backoff) == 2


@pytest.mark.parametrize("operation, code", [("BatchWriteItem", "ProvisionedThroughputExceededException"),
                                             ("PutItem", "InternalServerError"),
                                             ("BatchGetItem", "RequestLimitExceeded")])
def test_a_report_that_fails_before_its_commit_is_invisible_and_a_retry_stores_it_whole(
        dynamo, faults, operation, code):
    faults.error(operation, code)
    with pytest.raises(StoreUnavailable):
        dynamo.store_report(REPORT)
    faults.clear()
    assert _visible(dynamo, REPORT) == 0
    assert dynamo.store_report(REPORT) is True
    assert _visible(dynamo, REPORT) == len(REPORT.events)


def test_unprocessed_items_that_never_clear_leave_the_report_invisible(dynamo, faults):
    faults.unprocessed()
    with pytest.raises(StoreBusy):
        dynamo.store_report(REPORT)
    faults.clear()
    assert _visible(dynamo, REPORT) == 0


def test_a_retry_after_a_failed_latest_update_completes_the_report(dynamo, faults):
    """Committed but `latest` not advanced (the update failed): the client saw a 503,
    retries, and the retry (a duplicate) advances `latest`."""
    faults.error("UpdateItem", "ThrottlingException", when=lambda body: body["Key"]["PK"]["S"] == "CERTNAMES")
    with pytest.raises(StoreUnavailable):
        dynamo.store_report(REPORT)
    faults.clear()
    assert _visible(dynamo, REPORT) == len(REPORT.events)       # whole, never part
    assert REPORT.hash not in _latest(dynamo)
    assert dynamo.store_report(REPORT) is False                 # stored once
    assert REPORT.hash in _latest(dynamo)
    assert _visible(dynamo, REPORT) == len(REPORT.events)
