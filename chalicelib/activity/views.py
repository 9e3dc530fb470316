"""JSON shapes of activity commits (documents 003 and 004). Events are passed
through as submitted, so orchestrator keys (start_timestamp, duration, ...) stay."""
from __future__ import annotations

from .. import timestamps
from .model import Commit, Entity


def _entity(entity: Entity, with_type: bool) -> dict:
    shown = {"id": entity.id, "name": entity.name}
    if with_type and entity.type:
        shown["type"] = entity.type
    return shown


def commit_v1(commit: Commit) -> dict:
    return {"object": _entity(commit.objects[0], with_type=False),
            "subject": _entity(commit.subject, with_type=False),
            "timestamp": timestamps.seconds(commit.timestamp),
            "events": commit.events}


def commit_v2(commit: Commit) -> dict:
    return {"objects": [_entity(o, with_type=True) for o in commit.objects],
            "subject": _entity(commit.subject, with_type=False),
            "timestamp": timestamps.seconds(commit.timestamp),
            "ip_address": commit.ip_address,
            "events": commit.events}


def v1_page(page) -> dict:
    return {"commits": [commit_v1(c) for c in page.items], "offset": page.offset,
            "limit": page.limit, "total-rows": page.total}


def v2_page(page) -> dict:
    return {"commits": [commit_v2(c) for c in page.items],
            "pagination": {"total": page.total, "limit": page.limit, "offset": page.offset}}
