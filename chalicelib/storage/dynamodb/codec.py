"""Python values <-> DynamoDB attribute values. Numbers come back as `int`.

Free-form JSON (job options, event details) is stored as JSON text, so no float
or nested number ever needs DynamoDB's Decimal; numbers in key and filter
attributes are integers.
"""
from __future__ import annotations

from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(record: dict) -> dict:
    """Serialise a record; None values are left out (absent = NULL)."""
    return {k: _serializer.serialize(v) for k, v in record.items() if v is not None}


def to_value(value: object) -> dict:
    return _serializer.serialize(value)


def from_item(item: dict) -> dict:
    return {k: plain(_deserializer.deserialize(v)) for k, v in item.items()}


def plain(value: object) -> object:
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        raise TypeError(f"non-integer number {value} read from DynamoDB")
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return {plain(v) for v in value}
    return value
