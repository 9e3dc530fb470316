"""Small factories for activity-service tests (contract, HTTP, property)."""
from __future__ import annotations

import itertools

from chalicelib.activity.model import Entity, NewCommit

_counter = itertools.count(1)


def commit(service="classifier", subject="alice", objects=(("node_groups", "g1"),),
           timestamp="2019-03-05T18:52:27.760000Z", ip="10.0.0.1", message=None):
    n = next(_counter)
    return NewCommit(service_id=service, subject=Entity(subject, subject + "-name", "users"),
                     objects=tuple(Entity(i, f"{t}:{i}", t) for t, i in objects),
                     timestamp=timestamp, events=({"message": message or f"event {n}",
                                                   "type": "edit"},),
                     ip_address=ip)


def messages(page):
    return [c.events[0]["message"] for c in page.items]


def add(store, *commits):
    return [store.add_commit(c) for c in commits]


