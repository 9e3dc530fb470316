"""Orchestrator domain: jobs, job events, and how events move a job's state.

The state rules live here, once, as pure functions; each storage adapter loads
the job, calls `apply_events` inside its write transaction, and stores the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, NamedTuple, Sequence

JOB_TYPES = ("deploy", "task", "plan_task")
JOB_STATES = ("new", "ready", "running", "stopping", "stopped", "finished", "failed")
FINAL_STATES = ("stopped", "finished", "failed")

# Documents 000 and 001: the eight event types.
NODE_EVENT_STATES = {
    "node_running": "running",
    "node_finished": "finished",
    "node_failed": "failed",
    "node_errored": "errored",
    "node_skipped": "skipped",
}
JOB_EVENT_TYPES = ("job_aborted", "job_stopping", "job_finished")
EVENT_TYPES = tuple(NODE_EVENT_STATES) + JOB_EVENT_TYPES

# A DynamoDB transaction holds at most 100 items: events + changed nodes + the job.
MAX_EVENTS_PER_REQUEST = 40
MAX_NODES_PER_JOB = 5000


class UnknownJob(LookupError):
    def __init__(self, number: int):
        super().__init__(f"No job exists with id {number}")
        self.number = number


class InvalidEvent(ValueError):
    """An event that does not fit the job (unknown node, job already over)."""

    def __init__(self, msg: str, kind: str = "validation-error", **details):
        super().__init__(msg)
        self.kind, self.details = kind, details


class StatusEntry(NamedTuple):
    state: str
    enter_time: str
    exit_time: str | None = None


@dataclass(frozen=True)
class NewJob:
    type: str
    environment: str
    owner_id: str
    owner_login: str
    description: str
    nodes: tuple[str, ...]
    options: Mapping[str, object]
    timestamp: str                    # stored form


class Job(NamedTuple):
    """A job. NamedTuples (immutable too; changed with `_replace`) for the records a
    listing builds per row: a page is built ~2x faster than as frozen dataclasses
    (docs/performance.md)."""
    number: int
    type: str
    state: str
    environment: str
    owner_id: str
    owner_login: str
    description: str
    nodes: tuple[str, ...]
    options: Mapping[str, object]
    created_timestamp: str
    node_states: Mapping[str, int]
    status: tuple[StatusEntry, ...]
    finish_timestamp: str | None = None
    last_event_id: int = 0
    version: int = 0                  # bumped by every write (optimistic locking)

    @property
    def command(self) -> str:
        return self.type

    @property
    def timestamp(self) -> str:
        """When the job's state last changed (PE's `timestamp`)."""
        return self.status[-1].enter_time

    @classmethod
    def create(cls, number: int, new: NewJob) -> "Job":
        return cls(number=number, type=new.type, state="new",
                   environment=new.environment, owner_id=new.owner_id,
                   owner_login=new.owner_login, description=new.description,
                   nodes=new.nodes, options=dict(new.options), created_timestamp=new.timestamp,
                   node_states={"new": len(new.nodes)} if new.nodes else {},
                   status=(StatusEntry("new", new.timestamp),))


@dataclass(frozen=True)
class NewJobEvent:
    type: str
    timestamp: str                    # stored form
    details: Mapping[str, object]
    message: str


class JobEvent(NamedTuple):
    """A stored event. A NamedTuple (immutable too): a page of 1,000 is built 3x
    faster than as frozen dataclasses (docs/performance.md). `details` is the stored
    JSON text (jsontext.JSONText), read as the mapping it holds."""
    id: int
    job: int
    type: str
    timestamp: str
    details: Mapping[str, object]
    message: str


@dataclass(frozen=True)
class JobNode:
    name: str
    state: str = "new"
    timestamp: str | None = None              # last state change
    start_timestamp: str | None = None
    finish_timestamp: str | None = None
    latest_event_id: int | None = None
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """What applying a batch of events changes: the new job and the touched nodes."""
    job: Job
    nodes: dict[str, JobNode]


def apply_events(job: Job, nodes: Mapping[str, JobNode],
                 events: Sequence[tuple[int, NewJobEvent]]) -> Transition:
    """Apply (id, event) pairs in order. `nodes` holds the current records of
    the nodes these events name (absent = still "new")."""
    touched: dict[str, JobNode] = {}
    for event_id, event in events:
        if job.state in FINAL_STATES:
            raise InvalidEvent(f"Job {job.number} is already {job.state}; no further events are accepted",
                               kind="job-complete", job=str(job.number), state=job.state)
        if event.type in NODE_EVENT_STATES:
            name = event.details.get("node")
            if name not in job.nodes:
                raise InvalidEvent(f"Node {name!r} is not part of job {job.number}",
                                   node=name, job=str(job.number))
            before = touched.get(name) or nodes.get(name) or JobNode(name)
            after = _node_after(before, NODE_EVENT_STATES[event.type], event_id, event)
            touched[name] = after
            job = _with_node_state(job, before.state, after.state)
            if job.state in ("new", "ready"):
                job = _enter(job, "running", event.timestamp)
        elif event.type == "job_stopping":
            job = _enter(job, "stopping", event.timestamp)
        elif event.type == "job_aborted":
            job = _finish(job, "stopped", event.timestamp)
        elif event.type == "job_finished":
            job = _finish(job, _final_state(job, event), event.timestamp)
    # last_event_id is read by nothing above, so it is set once, with the version.
    last = events[-1][0] if events else job.last_event_id
    return Transition(job=job._replace(last_event_id=last, version=job.version + 1), nodes=touched)


def _node_after(node: JobNode, state: str, event_id: int, event: NewJobEvent) -> JobNode:
    started = event.timestamp if state == "running" else node.start_timestamp
    finished = None if state == "running" else event.timestamp
    return replace(node, state=state, timestamp=event.timestamp, start_timestamp=started,
                   finish_timestamp=finished, latest_event_id=event_id,
                   details=dict(event.details.get("detail") or {}))


def _with_node_state(job: Job, old: str, new: str) -> Job:
    if old == new:
        return job      # e.g. node_running on a running node: the counts stay
    counts = dict(job.node_states)
    counts[old] = counts.get(old, 0) - 1
    counts[new] = counts.get(new, 0) + 1
    return job._replace(node_states={k: v for k, v in counts.items() if v > 0})


def _final_state(job: Job, event: NewJobEvent) -> str:
    stated = event.details.get("state")
    if stated in FINAL_STATES:
        return stated
    unsuccessful = sum(job.node_states.get(s, 0) for s in ("failed", "errored"))
    return "failed" if unsuccessful else "finished"


def _enter(job: Job, state: str, when: str) -> Job:
    if job.state == state:
        return job
    history = list(job.status)
    history[-1] = history[-1]._replace(exit_time=when)
    history.append(StatusEntry(state, when))
    return job._replace(state=state, status=tuple(history))


def _finish(job: Job, state: str, when: str) -> Job:
    return _enter(job, state, when)._replace(finish_timestamp=when)


# Fields of the job listing (GET /jobs): order_by names -> record fields.
ORDER_FIELDS = {
    "name": "number",
    "timestamp": "timestamp",
    "state": "state",
    "owner": "owner_login",
    "environment": "environment",
}
