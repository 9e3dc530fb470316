"""JSON shapes of orchestrator responses (PE's job, node and event objects)."""
from __future__ import annotations

from typing import Iterable

from .. import timestamps
from ..paging import link
from .model import Job, JobEvent, JobNode

PREFIX = "/orchestrator/v1"


def job_url(base: str, number: int, tail: str = "") -> str:
    return f"{base}{PREFIX}/jobs/{number}{tail}"


def duration(start: str, end: str | None) -> float:
    finish = timestamps.parse(end) if end else timestamps.now()
    return round((finish - timestamps.parse(start)).total_seconds(), 3)


def job(base: str, record: Job, with_status: bool = False) -> dict:
    options = {"environment": record.environment, "description": record.description,
               **record.options}
    body = {
        "id": job_url(base, record.number),
        "name": str(record.number),
        "state": record.state,
        "command": record.command,
        "type": record.type,
        "options": options,
        "owner": {"id": record.owner_id, "login": record.owner_login},
        "description": record.description,
        "timestamp": timestamps.seconds(record.timestamp),
        "created_timestamp": timestamps.seconds(record.created_timestamp),
        "started_timestamp": timestamps.seconds(record.created_timestamp),
        "finished_timestamp": timestamps.seconds(record.finish_timestamp),
        "duration": duration(record.created_timestamp, record.finish_timestamp),
        "environment": {"name": record.environment},
        "node_count": len(record.nodes),
        "node_states": dict(record.node_states) or None,
        "nodes": {"id": job_url(base, record.number, "/nodes")},
        "report": {"id": job_url(base, record.number, "/report")},
        "events": {"id": job_url(base, record.number, "/events")},
    }
    if with_status:
        body["status"] = [{"state": s.state, "enter_time": timestamps.seconds(s.enter_time),
                           "exit_time": timestamps.seconds(s.exit_time)} for s in record.status]
    return body


def event(record: JobEvent) -> dict:
    return {"id": str(record.id), "type": record.type,
            "timestamp": timestamps.seconds(record.timestamp),
            "details": record.details, "message": record.message}


def next_events(base: str, number: int, next_id: int) -> dict:
    """Where a poller continues: always present, so a client can poll it (pe-clients.md 3.1)."""
    return {"id": link(base, f"{PREFIX}/jobs/{number}/events", start=next_id),
            "event": str(next_id)}


def report(job: Job, nodes: Iterable[JobNode], events: Iterable[JobEvent]) -> list[dict]:
    """GET /jobs/<id>/report items (PE's "report that summarizes a specific job"):
    `node`, `state`, `timestamp` (when the node's state last changed; the job's
    creation while the node is still "new") and `events` (the ids, as strings like
    the events endpoint's, of the job's events about that node, by id)."""
    ids: dict[str, list[str]] = {}
    for record in events:
        name = record.details.get("node")      # job_* events name no node
        if name is not None:
            ids.setdefault(name, []).append(str(record.id))
    return [{"node": n.name, "state": n.state,
             "timestamp": timestamps.seconds(n.timestamp or job.created_timestamp),
             "events": ids.get(n.name, [])} for n in nodes]


def node(record: JobNode) -> dict:
    finished = record.finish_timestamp
    return {"name": record.name, "state": record.state,
            "timestamp": timestamps.seconds(record.timestamp),
            "start_timestamp": timestamps.seconds(record.start_timestamp),
            "finish_timestamp": timestamps.seconds(finished),
            "duration": duration(record.start_timestamp, finished) if record.start_timestamp else None,
            "details": dict(record.details),
            "latest-event-id": record.latest_event_id}
