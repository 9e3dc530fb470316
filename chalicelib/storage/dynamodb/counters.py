"""Counter items (`PK = COUNTER`, `SK = <name>`, attribute `value`), shared by the
tables that number things: consistent reads, and atomic reservations."""
from __future__ import annotations

from .codec import from_item, to_value

COUNTER = "COUNTER"


def attributes(client, table: str, name: str) -> dict:
    """The counter item's attributes, read consistently ({} before its first write)."""
    response = client.get_item(TableName=table, ConsistentRead=True,
                               Key={"PK": {"S": COUNTER}, "SK": {"S": name}})
    return from_item(response.get("Item", {}))


def read(client, table: str, name: str) -> int:
    return attributes(client, table, name).get("value", 0)


def reserve(client, table: str, name: str, count: int) -> int:
    """Add `count` atomically; returns the new value (the last number reserved)."""
    response = client.update_item(
        TableName=table, Key={"PK": {"S": COUNTER}, "SK": {"S": name}},
        UpdateExpression="ADD #v :n", ExpressionAttributeNames={"#v": "value"},
        ExpressionAttributeValues={":n": to_value(count)}, ReturnValues="UPDATED_NEW")
    return from_item(response["Attributes"])["value"]
