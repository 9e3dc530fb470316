"""The subscription part of the storage port, on both adapters: subscriptions,
pending deliveries in order per group, retries, dead letters and replay."""
from __future__ import annotations

from tests.subscription_factories import delivery, subscription


def test_a_subscription_is_stored_listed_and_deleted(store):
    first = subscription(sid="a" * 32, filters={"puppetdb.report": ["=", "status", "failed"]})
    second = subscription(sid="b" * 32, created="2026-01-02T00:00:00.000000Z")
    store.add_subscription(first)
    store.add_subscription(second)
    assert store.get_subscription(first.id) == first
    assert [s.id for s in store.list_subscriptions()] == [first.id, second.id]
    assert store.delete_subscription(first.id) is True
    assert store.delete_subscription(first.id) is False
    assert store.get_subscription(first.id) is None
    assert [s.id for s in store.list_subscriptions()] == [second.id]


def test_due_deliveries_come_per_group_in_seq_order_from_a_due_head(store):
    sub = subscription()
    store.add_subscription(sub)
    store.queue_deliveries([delivery(sub, "003"), delivery(sub, "001"), delivery(sub, "002"),
                            delivery(sub, "001", key="n2", next_attempt=500.0)])
    groups = store.due_deliveries(200.0, 10, 10)
    assert [[d.seq for d in g] for g in groups] == [["001", "002", "003"]]
    assert {g[0].key for g in groups} == {"n1"}
    assert [[d.seq for d in g] for g in store.due_deliveries(600.0, 10, 10)
            if g[0].key == "n2"] == [["001"]]


def test_queueing_the_same_delivery_twice_keeps_one_and_its_attempts(store):
    sub = subscription()
    store.add_subscription(sub)
    first = delivery(sub, "001")
    store.queue_deliveries([first])
    store.retry_delivery(first.retried(150.0, 160.0, "HTTP 503"))
    store.queue_deliveries([first])
    (group,) = store.due_deliveries(200.0, 10, 10)
    assert [(d.seq, d.attempts, d.last_error) for d in group] == [("001", 1, "HTTP 503")]


def test_a_retried_head_holds_its_group_until_due(store):
    sub = subscription()
    store.add_subscription(sub)
    head, second = delivery(sub, "001"), delivery(sub, "002")
    store.queue_deliveries([head, second])
    store.retry_delivery(head.retried(100.0, 300.0, "refused"))
    assert store.due_deliveries(200.0, 10, 10) == []
    (group,) = store.due_deliveries(300.0, 10, 10)
    assert [d.seq for d in group] == ["001", "002"]


def test_a_finished_delivery_is_gone(store):
    sub = subscription()
    store.add_subscription(sub)
    first, second = delivery(sub, "001"), delivery(sub, "002")
    store.queue_deliveries([first, second])
    store.finish_deliveries([first])
    (group,) = store.due_deliveries(200.0, 10, 10)
    assert [d.seq for d in group] == ["002"]


def test_a_dead_letter_leaves_the_queue_is_listed_and_replays_under_its_id(store):
    sub = subscription()
    store.add_subscription(sub)
    first, second = delivery(sub, "001"), delivery(sub, "002")
    store.queue_deliveries([first, second])
    store.dead_letter(first.dead(900.0, "HTTP 500"))
    assert [[d.seq for d in g] for g in store.due_deliveries(1000.0, 10, 10)] == [["002"]]
    (letter,) = store.dead_letters(sub.id)
    assert (letter.webhook_id, letter.body, letter.failed, letter.last_error, letter.attempts) == \
        (first.webhook_id, first.body, 900.0, "HTTP 500", 1)
    assert store.replay_dead_letters(sub.id, ["msg_other"], 1000.0) == []
    assert store.replay_dead_letters(sub.id, None, 1000.0) == [first.webhook_id]
    assert store.dead_letters(sub.id) == []
    (group,) = store.due_deliveries(1000.0, 10, 10)
    assert [(d.webhook_id, d.attempts, d.created) for d in group] == \
        [(first.webhook_id, 0, 1000.0), (second.webhook_id, 0, 100.0)]


def test_deleting_a_subscription_deletes_its_dead_letters(store):
    sub = subscription()
    store.add_subscription(sub)
    first = delivery(sub, "001")
    store.queue_deliveries([first])
    store.dead_letter(first.dead(900.0, "HTTP 500"))
    store.delete_subscription(sub.id)
    assert store.dead_letters(sub.id) == []
