"""Activity-service commits (documents 003 and 004): domain records and the
filter fields every execution (SQL, DynamoDB, the reference evaluator) shares.

A commit is ordered by its server-assigned `sequence` ("submission time"
ordering, append-only: DESIGN.md "Activity service"); its own `timestamp`
(client-given or assigned at submit) is what responses show and what
`start`/`end`/`after_service_commit_time` filter on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

from ..query.ast import Compare, EVERYTHING, Node, all_of

# Document 003 (v1 object_type list) plus document 004's example `node_group`.
OBJECT_TYPES = ("node", "node_groups", "node_group", "users", "user_groups", "roles",
                "environment", "directory_server_settings")
SUBJECT_TYPES = ("users",)
DEFAULT_SUBJECT_TYPE = "users"

# One DynamoDB transaction (100 items at most) holds two counters, the commit, its
# all-services copy and up to two copies per object (its key and its type; docs/dynamodb.md,
# "Activity service"): 4 + 2 x 45 = 94 items. 48 objects would still fit; 45 is the
# limit the API has always answered 400 above (README), kept with 6 items to spare.
TRANSACTION_ITEMS = 100
ITEMS_PER_COMMIT = 4            # service counter, COUNTER/ALL, commit, ALL copy
MAX_OBJECTS_PER_COMMIT = 45

# AST fields of a commit (see `record`). Array fields hold every object's value.
FIELDS = ("service_id", "subject_id", "subject_type", "object_types", "object_keys",
          "ip_address", "timestamp", "sequence")
ARRAY_FIELDS = frozenset({"object_types", "object_keys"})
KEY_SEPARATOR = "\x1f"      # between object type and id in `object_keys`


def object_key(object_type: str, object_id: str) -> str:
    return f"{object_type}{KEY_SEPARATOR}{object_id}"


@dataclass(frozen=True)
class Entity:
    """A subject or an object: `{id, name, type?}`."""
    id: str
    name: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class NewCommit:
    service_id: str
    subject: Entity
    objects: tuple[Entity, ...]
    timestamp: str                       # stored form (timestamps.stored)
    events: tuple[dict, ...] = ()
    ip_address: str | None = None


class Commit(NamedTuple):
    """A stored commit: NewCommit's fields and its sequence. A NamedTuple (immutable
    too): a page of 1,000 is built 3x faster than as frozen dataclasses
    (docs/performance.md). `events` is the stored JSON text (jsontext.JSONText),
    read as the sequence it holds."""
    service_id: str
    subject: Entity
    objects: tuple[Entity, ...]
    timestamp: str
    events: Sequence[dict]
    ip_address: str | None
    sequence: int                        # submission order, strictly increasing


def subject_type(entity: Entity) -> str:
    return entity.type or DEFAULT_SUBJECT_TYPE


def record(commit: NewCommit, sequence: int | None = None) -> dict:
    """The commit as the dict the AST fields name (query/evaluate.py semantics)."""
    return {
        "service_id": commit.service_id,
        "subject_id": commit.subject.id,
        "subject_type": subject_type(commit.subject),
        "object_types": sorted({o.type for o in commit.objects if o.type}),
        "object_keys": sorted({object_key(o.type, o.id) for o in commit.objects if o.type}),
        "ip_address": commit.ip_address,
        "timestamp": commit.timestamp,
        "sequence": getattr(commit, "sequence", sequence) if sequence is None else sequence,
    }


def full_filter(service_id: str | None, where: Node) -> Node:
    """The API's filter with the service condition (absent = every service)."""
    if service_id is None:
        return where
    return all_of(Compare("service_id", "=", service_id), where) if where != EVERYTHING \
        else Compare("service_id", "=", service_id)


def sort_keys(order: str) -> tuple[tuple[str, str], ...]:
    return (("sequence", order),)
