"""What PE's activity service records about orchestrator jobs (documents 003 and 004).

Source of the shape: document 004 ("Responses containing information about orchestrator
events, including Puppet agent runs and task runs") shows one commit per node of a job,
the node as its only object (`type: node`), the job's owner as subject, and one event:

    {"description": "request_puppet_agent_on_node", "name": "puppet agent",
     "type": "puppet_agent", "what": "node", "state": "finished",
     "start_timestamp": ..., "finish_timestamp": ..., "duration": 4.898,
     "message": "Request \\"puppet agent\\" run on \\"<node>\\" over \\"pcp\\" via orchestrator job \\"11\\""}

and, for a task, `type: run_task`, `description: request_<task>_on_node`, `name: <task>`,
`message: Request "<task>" task on "<node>" over "pcp" via orchestrator job "12"`.
The service id is `pe-console`: document 003's second example lists such a commit (a node
object, "... via orchestrator job 7,759") under `service_id=pe-console`, and
pe_event_forwarding forwards `pe-console` with classifier, rbac and code-manager
(../shared/notes/pe-clients.md, section 0.2). Neither document names the transport this
service never sees, so every run is "over pcp", PE's agent transport.

Job types (`orchestrator.model.JOB_TYPES`):
- `deploy` is PE's `POST /command/deploy`, a Puppet agent run: the `puppet_agent` record.
- `task` is `POST /command/task`: the `run_task` record, named after `options.task`
  (PE's job `options` carry the task name; "task" when a client sent none).
- `plan_task` is a task a plan ran: on each node it is the same task run over pcp, so it
  records `run_task` like a task job; the plan itself is a plan job, not modelled here.

The run keys (`state`, `start_timestamp`, `finish_timestamp`, `duration`) are not stored:
they are derived, when a commit is read, from the job's node record, which the
orchestrator writes in the same transaction as the job event that changes it. So a
commit is current as soon as the event is, and its sequence, the activity cursor and
the totals never move (docs/dynamodb.md, "Orchestrator jobs in the activity service").
"""
from __future__ import annotations

from typing import Mapping, Sequence

from .. import timestamps
from ..activity.model import Entity, NewCommit
from .model import FINAL_STATES, JobNode, NewJob
from .views import duration

SERVICE_ID = "pe-console"
TRANSPORT = "pcp"
NODE_TYPE = "node"


def _request(job_type: str, options: Mapping[str, object], node: str, number: int) -> dict:
    """The stored part of a job's event on one node (document 004's wording)."""
    if job_type == "deploy":
        return {"type": "puppet_agent", "what": "node",
                "description": "request_puppet_agent_on_node", "name": "puppet agent",
                "message": f'Request "puppet agent" run on "{node}" over "{TRANSPORT}" '
                           f'via orchestrator job "{number}"'}
    task = options.get("task")
    task = task if isinstance(task, str) and task else "task"
    return {"type": "run_task", "what": "node", "description": f"request_{task}_on_node",
            "name": task,
            "message": f'Request "{task}" task on "{node}" over "{TRANSPORT}" '
                       f'via orchestrator job "{number}"'}


def job_commits(number: int, job: NewJob) -> tuple[NewCommit, ...]:
    """The commits PE records when job `number` is created: one per node, in the
    job's node order, stamped with the job's creation time."""
    subject = Entity(job.owner_id, job.owner_login, "users")
    return tuple(NewCommit(SERVICE_ID, subject, (Entity(node, node, NODE_TYPE),), job.timestamp,
                           (_request(job.type, job.options, node, number),))
                 for node in job.nodes)


def run_state(job_state: str, node_state: str) -> str:
    """The run's state in document 004's list (new, ready, running, stopping, stopped,
    finished, failed) from the node's state and its job's."""
    if node_state == "finished":
        return "finished"
    if node_state in ("failed", "errored"):
        return "failed"
    if node_state == "skipped" or job_state in FINAL_STATES:
        return "stopped"            # never run, or the job ended before this run did
    if job_state == "stopping":
        return "stopping"
    if node_state == "running":
        return "running"
    return job_state if job_state in ("new", "ready") else "ready"   # queued in a running job


def run_keys(job_state: str, node: JobNode | None) -> dict:
    """Document 004's orchestrator keys for one node's run. In-progress and failed runs
    carry no `finish_timestamp` or `duration`; `duration` is seconds, a number."""
    node = node or JobNode("")
    state = run_state(job_state, node.state)
    keys: dict = {"state": state}
    start = node.start_timestamp
    if state == "finished":
        start = start or node.finish_timestamp     # finished without a node_running event
        keys["start_timestamp"] = timestamps.seconds(start)
        keys["finish_timestamp"] = timestamps.seconds(node.finish_timestamp)
        keys["duration"] = duration(start, node.finish_timestamp)
    elif start:
        keys["start_timestamp"] = timestamps.seconds(start)
    return keys


def current_events(events: Sequence[dict], job_state: str | None,
                   node: JobNode | None) -> list[dict]:
    """A job commit's stored events with the run keys of now. `job_state` None: the job
    is gone (never, today), so the events are shown as stored."""
    if job_state is None:
        return list(events)
    keys = run_keys(job_state, node)
    # Stored events never hold run keys (job_commits writes them), so none goes stale.
    return [{**event, **keys} for event in events]

