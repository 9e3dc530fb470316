"""Delivery: source records fanned out to deliveries, one attempt over HTTP, backoff,
and the dispatch cycle both backends run (the local thread, the DynamoDB stream
handler and its schedule).

Guarantees (issue 17):
- at least once: a delivery is removed only after its receiver answered 2xx; a crash
  before that sends it again, under the same webhook-id and with the same body;
- ordered per subscription and ordering key (model.SOURCE_SPECS): a group's next
  delivery is tried only after the one before it was delivered or dead-lettered;
- exponential backoff with jitter (`backoff`), up to EVENTS_SUBSCRIPTION_RETRY_HORIZON
  seconds after the delivery was made; then it is a dead letter (listed and replayable
  through the API);
- a receiver gets EVENTS_SUBSCRIPTION_TIMEOUT seconds (10) to answer;
- none of this runs inside the write that caused it.
"""
from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Sequence

from ..config import Settings, settings
from . import filters, model, records, signing, urls

log = logging.getLogger(__name__)

GROUPS_PER_CYCLE = 64         # groups read per cycle
PER_GROUP = 50                # deliveries of one group sent per cycle
WORKERS = 8                   # groups sent in parallel: one slow receiver holds one worker
MAX_ERROR = 300               # characters of a failure kept with the delivery


def fan_out(subscriptions: Sequence[model.Subscription],
            source_records: Iterable[model.SourceRecord], now: float) -> list[model.Delivery]:
    """One delivery per (subscription, record) whose source the subscription names
    and whose filter the record passes, with its CloudEvent fixed."""
    matchers = {}
    deliveries = []
    for item in source_records:
        spec = model.SOURCE_SPECS[item.source]
        shared = None          # what every subscription's event of this record shares
        for subscription in subscriptions:
            if item.source not in subscription.sources:
                continue
            key = (subscription.id, item.source)
            if key not in matchers:
                matchers[key] = filters.matcher(subscription.filters, item.source)
            if not matchers[key](item.record):
                continue
            if shared is None:
                shared = (spec.path(item.record), records.subject(item.source, item.record),
                          spec.time(item.record), records.data(item.source, item.record),
                          str(spec.key(item.record)), spec.seq(item.record))
            path, subject, when, data, group_key, seq = shared
            webhook_id = model.webhook_id(subscription.id, item.source, item.record)
            body = signing.cloud_event(webhook_id, model.EVENT_TYPES[item.source], path,
                                       subject, when, data)
            deliveries.append(model.Delivery(
                webhook_id=webhook_id, subscription_id=subscription.id, source=item.source,
                key=group_key, seq=seq, body=body, created=now, next_attempt=now))
    return deliveries


def test_delivery(subscription: model.Subscription, now: float) -> model.Delivery:
    """The event POST /subscriptions/<id>/test sends (its own id, queued like any other)."""
    import uuid
    webhook_id = "msg_" + uuid.uuid4().hex
    body = signing.cloud_event(webhook_id, model.TEST_TYPE, "/subscriptions/" + subscription.id,
                               subscription.id, None, {"subscription": subscription.id,
                                                       "message": "test event"})
    return model.Delivery(webhook_id=webhook_id, subscription_id=subscription.id,
                          source="test", key="test", seq=f"{now:020.6f}", body=body,
                          created=now, next_attempt=now)


def backoff(attempts: int, config: Settings) -> float:
    """Seconds before attempt `attempts + 1`: base x 2^(attempts-1), capped, with
    "equal jitter" (half fixed, half random) so receivers coming back are not hit by
    every sender at once, yet the wait still grows."""
    ceiling = min(config.subscription_retry_max,
                  config.subscription_retry_base * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def send(subscription: model.Subscription, delivery: model.Delivery, now: float,
         config: Settings) -> str | None:
    """One attempt; None when the receiver answered 2xx, else why not."""
    # Loaded on the first attempt, not at import: urllib's HTTP stack is a large part
    # of a cold start, and most invocations deliver nothing.
    from . import transport
    try:
        address = urls.check_at_send(subscription.url, config)
        secret = signing.secret_for(subscription.id, subscription.salt)
        headers = signing.signed_headers(secret, delivery.webhook_id, delivery.body, now)
        return transport.post(subscription.url, delivery.body.encode("utf-8"), headers,
                              address, config.subscription_timeout)
    except Exception as error:          # refused, timed out, unresolvable, unsafe
        return f"{type(error).__name__}: {error}"[:MAX_ERROR]


Clock = Callable[[], float]


def dispatch(store, clock: Clock = time.time, config: Settings | None = None,
             groups: list[list[model.Delivery]] | None = None,
             budget: float | None = None, per_group: int = PER_GROUP) -> int:
    """One cycle: every due group sent in order, up to PER_GROUP each; the number
    delivered. A failure stops its group until its next attempt (or, past the
    horizon, makes it a dead letter and lets the group go on next cycle).
    `budget`: seconds after which no new attempt starts (a Lambda's time limit; what
    is left stays queued for the next cycle)."""
    config = config or settings()
    stop_at = None if budget is None else time.monotonic() + budget
    if groups is None:
        groups = store.due_deliveries(clock(), GROUPS_PER_CYCLE, per_group)
    if not groups:
        return 0
    subscriptions = {s.id: s for s in store.list_subscriptions()}

    def run(group: list[model.Delivery]) -> int:
        # Delivered ones are removed together when the group stops: one write instead
        # of one per delivery (SQLite has one writer, and ingest needs it). A crash
        # before that sends them again, under the same ids: at least once.
        done: list[model.Delivery] = []
        try:
            for delivery in group:
                if stop_at is not None and time.monotonic() > stop_at:
                    break
                subscription = subscriptions.get(delivery.subscription_id)
                if subscription is None:           # deleted since: nobody to send it to
                    done.append(delivery)
                    continue
                error = send(subscription, delivery, clock(), config)
                now = clock()
                if error is None:
                    done.append(delivery)
                    continue
                if now - delivery.created >= config.subscription_retry_horizon:
                    log.warning("subscription %s: %s dead-lettered after %d attempts: %s",
                                delivery.subscription_id, delivery.webhook_id,
                                delivery.attempts + 1, error)
                    store.dead_letter(delivery.dead(now, error))
                else:
                    wait = backoff(delivery.attempts + 1, config)
                    store.retry_delivery(delivery.retried(now, now + wait, error))
                break
        finally:
            if done:
                store.finish_deliveries(done)
        return sum(1 for d in done if d.subscription_id in subscriptions)

    if len(groups) == 1:
        return run(groups[0])
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(groups))) as pool:
        return sum(pool.map(run, groups))
