"""Webhook subscriptions in DynamoDB (table `subscriptions`; docs/dynamodb.md,
"Subscriptions").

  SUB / <id>                     a subscription
  D#<group> / <seq>              a pending delivery (the retry store), with
                                 queue = "DUE" and due_key = "<next attempt>#<group>#<seq>"
                                 (index subscriptions-due: what is due, oldest first)
  DL#<subscription> / <id>       a dead letter

Stream records become deliveries here (subscriptions/stream.py); the stream
handler and the schedule send them (subscriptions/delivery.py).
"""
from __future__ import annotations

import json

from botocore.exceptions import ClientError

from ...subscriptions.model import Delivery, Subscription
from .codec import from_item, to_item, to_value

TABLE = "subscriptions"
QUEUE = "DUE"
DUE_INDEX = "subscriptions-due"
DUE_READ = 1000           # index entries read per dispatch cycle
TRANSACTION_PAIRS = 50    # replays / dead letters per transaction (2 items each)
BATCH = 25                # BatchWriteItem's limit


def _subscription(record: dict) -> Subscription:
    return Subscription(id=record["SK"], url=record["url"], sources=tuple(record["sources"]),
                        filters=json.loads(record["filters"]),
                        description=record.get("description", ""), created=record["created"],
                        salt=record["salt"])


def _due_key(delivery: Delivery) -> str:
    return f"{delivery.next_attempt:017.6f}#{delivery.group}#{delivery.seq}"


def _delivery_item(delivery: Delivery) -> dict:
    return to_item({"PK": "D#" + delivery.group, "SK": delivery.seq, "queue": QUEUE,
                    "due_key": _due_key(delivery), **_fields(delivery)})


def _dead_item(delivery: Delivery) -> dict:
    return to_item({"PK": "DL#" + delivery.subscription_id, "SK": delivery.webhook_id,
                    **_fields(delivery)})


def _fields(delivery: Delivery) -> dict:
    # Times as text: DynamoDB numbers would come back as Decimal (codec.py keeps ints only).
    return {"webhook_id": delivery.webhook_id, "subscription": delivery.subscription_id,
            "source": delivery.source, "key": delivery.key, "seq": delivery.seq,
            "body": delivery.body, "created": repr(delivery.created),
            "next_attempt": repr(delivery.next_attempt), "attempts": delivery.attempts,
            "last_error": delivery.last_error,
            "failed": None if delivery.failed is None else repr(delivery.failed)}


def _delivery(record: dict) -> Delivery:
    return Delivery(webhook_id=record["webhook_id"], subscription_id=record["subscription"],
                    source=record["source"], key=record["key"], seq=record["seq"],
                    body=record["body"], created=float(record["created"]),
                    next_attempt=float(record["next_attempt"]), attempts=record["attempts"],
                    last_error=record.get("last_error"),
                    failed=float(record["failed"]) if record.get("failed") else None)


class SubscriptionItems:
    @property
    def _subscriptions_table(self) -> str:
        return self.table_name(TABLE)

    def _subscription_items(self, **arguments) -> list[dict]:
        found = []
        arguments = {"TableName": self._subscriptions_table, "ConsistentRead": True, **arguments}
        while True:
            page = self.client.query(**arguments)
            found.extend(from_item(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def add_subscription(self, subscription: Subscription) -> None:
        self.client.put_item(
            TableName=self._subscriptions_table,
            Item=to_item({"PK": "SUB", "SK": subscription.id, "url": subscription.url,
                          "sources": list(subscription.sources),
                          "filters": json.dumps(dict(subscription.filters)),
                          "description": subscription.description,
                          "created": subscription.created, "salt": subscription.salt}),
            ConditionExpression="attribute_not_exists(PK)")

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        answer = self.client.get_item(TableName=self._subscriptions_table, ConsistentRead=True,
                                      Key={"PK": to_value("SUB"), "SK": to_value(subscription_id)})
        return _subscription(from_item(answer["Item"])) if "Item" in answer else None

    def list_subscriptions(self) -> list[Subscription]:
        found = self._subscription_items(KeyConditionExpression="PK = :pk",
                                ExpressionAttributeValues={":pk": to_value("SUB")})
        return sorted((_subscription(r) for r in found), key=lambda s: (s.created, s.id))

    def delete_subscription(self, subscription_id: str) -> bool:
        """The subscription and its dead letters; its pending deliveries are dropped by
        the dispatcher when it finds no subscription for them."""
        try:
            self.client.delete_item(TableName=self._subscriptions_table,
                                    Key={"PK": to_value("SUB"), "SK": to_value(subscription_id)},
                                    ConditionExpression="attribute_exists(PK)")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        for letter in self.dead_letters(subscription_id):
            self.client.delete_item(TableName=self._subscriptions_table,
                                    Key={"PK": to_value("DL#" + subscription_id),
                                         "SK": to_value(letter.webhook_id)})
        return True

    # ------------------------------------------------------------- deliveries
    def queue_deliveries(self, deliveries: list[Delivery]) -> None:
        """Each delivery unless its (group, seq) is already pending: a stream batch
        handled twice does not reset a delivery's attempts."""
        for delivery in deliveries:
            try:
                self.client.put_item(TableName=self._subscriptions_table,
                                     Item=_delivery_item(delivery),
                                     ConditionExpression="attribute_not_exists(PK)")
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise

    def due_deliveries(self, now: float, groups: int, per_group: int) -> list[list[Delivery]]:
        answer = self.client.query(
            TableName=self._subscriptions_table, IndexName=DUE_INDEX,
            KeyConditionExpression="queue = :q AND due_key <= :now",
            ExpressionAttributeValues={":q": to_value(QUEUE), ":now": to_value(f"{now:017.6f}~")},
            ProjectionExpression="PK", Limit=DUE_READ)
        names: list[str] = []
        for item in answer.get("Items", []):
            name = item["PK"]["S"]
            if name not in names:
                names.append(name)
        found = []
        for name in names:
            page = self.client.query(TableName=self._subscriptions_table, ConsistentRead=True,
                                     KeyConditionExpression="PK = :pk",
                                     ExpressionAttributeValues={":pk": to_value(name)},
                                     Limit=per_group)
            rows = [_delivery(from_item(i)) for i in page.get("Items", [])]
            if rows and rows[0].next_attempt <= now:
                found.append(rows)
            if len(found) >= groups:
                break
        return found

    def finish_deliveries(self, deliveries: list[Delivery]) -> None:
        """Remove delivered deliveries, 25 per BatchWriteItem (unprocessed ones resent)."""
        from .client import attempts
        requests = [{"DeleteRequest": {"Key": {"PK": to_value("D#" + d.group),
                                               "SK": to_value(d.seq)}}} for d in deliveries]
        for start in range(0, len(requests), BATCH):
            pending = {self._subscriptions_table: requests[start:start + BATCH]}
            for _ in attempts():
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not pending:
                    break

    def retry_delivery(self, delivery: Delivery) -> None:
        self.client.put_item(TableName=self._subscriptions_table, Item=_delivery_item(delivery))

    def dead_letter(self, delivery: Delivery) -> None:
        self.client.transact_write_items(TransactItems=[
            {"Delete": {"TableName": self._subscriptions_table,
                        "Key": {"PK": to_value("D#" + delivery.group), "SK": to_value(delivery.seq)}}},
            {"Put": {"TableName": self._subscriptions_table, "Item": _dead_item(delivery)}},
        ])

    def dead_letters(self, subscription_id: str) -> list[Delivery]:
        found = self._subscription_items(KeyConditionExpression="PK = :pk",
                                ExpressionAttributeValues={":pk": to_value("DL#" + subscription_id)})
        return sorted((_delivery(r) for r in found), key=lambda d: (d.failed, d.seq))

    def replay_dead_letters(self, subscription_id: str, ids: list[str] | None,
                            now: float) -> list[str]:
        chosen = [d for d in self.dead_letters(subscription_id)
                  if ids is None or d.webhook_id in ids]
        for start in range(0, len(chosen), TRANSACTION_PAIRS):
            items = []
            for letter in chosen[start:start + TRANSACTION_PAIRS]:
                pending = Delivery(**{**letter.__dict__, "attempts": 0, "created": now,
                                      "next_attempt": now, "last_error": None, "failed": None})
                items += [{"Delete": {"TableName": self._subscriptions_table,
                                      "Key": {"PK": to_value("DL#" + subscription_id),
                                              "SK": to_value(letter.webhook_id)}}},
                          {"Put": {"TableName": self._subscriptions_table,
                                   "Item": _delivery_item(pending)}}]
            self.client.transact_write_items(TransactItems=items)
        return [d.webhook_id for d in chosen]
