"""Small factories for test data."""
from __future__ import annotations

import itertools

from chalicelib import timestamps
from chalicelib.orchestrator.model import NewJob, NewJobEvent

_clock = itertools.count()


def at(second: int) -> str:
    return timestamps.normalise(f"2016-05-05T19:{second // 60:02d}:{second % 60:02d}Z")


def new_job(nodes=("a.example.com", "b.example.com"), *, job_type="deploy",
            environment="production", login="admin", timestamp=None, **options) -> NewJob:
    return NewJob(type=job_type, environment=environment, owner_id=f"id-{login}",
                  owner_login=login, description="test job", nodes=tuple(nodes),
                  options=options, timestamp=timestamp or at(next(_clock) % 3600))


def node_event(kind: str, node: str, timestamp=None, **detail) -> NewJobEvent:
    return NewJobEvent(type=kind, timestamp=timestamp or at(next(_clock) % 3600),
                       details={"node": node, "detail": detail or {"noop": False}},
                       message=f"{kind} on {node}")


def job_event(kind: str, timestamp=None, **details) -> NewJobEvent:
    return NewJobEvent(type=kind, timestamp=timestamp or at(next(_clock) % 3600),
                       details=details, message=kind)


def job_payload(nodes=("a.example.com",), **overrides) -> dict:
    body = {"type": "deploy", "environment": "production",
            "owner": {"id": "42bf351c", "login": "admin"}, "description": "deploy",
            "nodes": list(nodes), "options": {"noop": False}}
    body.update(overrides)
    return body
