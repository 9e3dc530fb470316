"""Orchestrator jobs, nodes and events in DynamoDB (table `jobs`).

Items (docs/dynamodb.md, "Orchestrator"):
  COUNTER / jobs          value: the last job number
  COUNTER / events        value: the last event id handed out
  JOB#<n> / JOB           the job, with one sort attribute per listing order, and
                          `activity_owed` while some of its activity commits are
  JOB#<n> / ACTIVITY      recorded: how many of its nodes' commits are stored (jobs
                          of more than 24 nodes; absent: the creation's 24)
  JOB#<n> / NODE#<name>   a node that has had events (others are still "new")
  JOB#<n> / EVENT#<id>    an event, id zero-padded so the sort key orders by id
"""
from __future__ import annotations

import json
import logging
from typing import Sequence

from botocore.exceptions import ClientError

from ...activity.model import NewCommit
from ...orchestrator.activity import job_commits
from ...orchestrator.model import (Job, JobEvent, JobNode, NewJob, NewJobEvent, ORDER_FIELDS,
                                   StatusEntry, UnknownJob, apply_events)
from ...jsontext import JSONText
from ...paging import Page
from ...query.ast import Node
from ...query.dynamodb import AccessPath, KeyQuery, Plan, split
from ..base import StoreUnavailable
from . import counters
from .client import attempts, is_retryable_write
from .codec import from_item, to_item, to_value
from .runner import Runner

LOG = logging.getLogger(__name__)
COUNTER = counters.COUNTER
# A job's activity commits per transaction: each is 4 items (the commit, its ALL,
# OBJ#node and OBJT#node copies), beside 2 activity counters and the job's own 2
# items: 4 + 4 x 24 = 100, DynamoDB's limit. Later transactions: 2 counters, 96 items,
# the ACTIVITY item and, in the last, the job item.
JOB_COMMITS_PER_TRANSACTION = 24
# The job item's marker while some of its nodes' commits are still to be stored (a job
# of more than 24 nodes whose creator has not finished, or died between transactions).
OWED = "activity_owed"
BATCH_GET_KEYS = 100        # BatchGetItem's limit per request
ID_WIDTH = 12
SEPARATOR = "\x00"   # sorts below every other character, so "a" < "a!" as in SQL

# The AST fields of the job listing -> attributes.
ATTRIBUTES = {"type": "type", "finish_timestamp": "finish_timestamp", "state": "state",
              "environment": "environment", "owner_login": "owner_login",
              "timestamp": "timestamp", "number": "number"}

# order_by -> the index that lists jobs in that order.
LISTING_PATHS = {
    order_by: AccessPath(name=f"jobs-by-{order_by}", index=f"jobs-by-{order_by}",
                         hash_attr="jobs", hash_format="JOB")
    for order_by in ORDER_FIELDS
}


def _job_key(number: int) -> dict:
    return {"PK": {"S": f"JOB#{number}"}, "SK": {"S": "JOB"}}


def _job_item(job: Job) -> dict:
    def sort_attribute(value: str) -> str:
        return f"{value}{SEPARATOR}{job.number:0{ID_WIDTH}d}"
    return to_item({
        "PK": f"JOB#{job.number}", "SK": "JOB", "jobs": "JOB",
        "number": job.number, "type": job.type, "state": job.state,
        "environment": job.environment, "owner_id": job.owner_id,
        "owner_login": job.owner_login, "description": job.description,
        "nodes": json.dumps(list(job.nodes)), "options": json.dumps(job.options),
        "created_timestamp": job.created_timestamp, "timestamp": job.timestamp,
        "finish_timestamp": job.finish_timestamp,
        "node_states": json.dumps(job.node_states),
        "status": json.dumps([s._asdict() for s in job.status]),
        "last_event_id": job.last_event_id, "version": job.version,
        "by_timestamp": sort_attribute(job.timestamp),
        "by_state": sort_attribute(job.state),
        "by_owner": sort_attribute(job.owner_login),
        "by_environment": sort_attribute(job.environment),
    })


def _new_job(job: Job) -> NewJob:
    """The request a stored job was created from (what its activity commits derive from)."""
    return NewJob(type=job.type, environment=job.environment, owner_id=job.owner_id,
                  owner_login=job.owner_login, description=job.description, nodes=job.nodes,
                  options=job.options, timestamp=job.created_timestamp)


def _job(record: dict) -> Job:
    return Job(number=record["number"], type=record["type"], state=record["state"],
               environment=record["environment"], owner_id=record["owner_id"],
               owner_login=record["owner_login"], description=record["description"],
               nodes=tuple(json.loads(record["nodes"])), options=json.loads(record["options"]),
               created_timestamp=record["created_timestamp"],
               finish_timestamp=record.get("finish_timestamp"),
               node_states=json.loads(record["node_states"]),
               status=tuple(StatusEntry(**s) for s in json.loads(record["status"])),
               last_event_id=record["last_event_id"], version=record["version"])


def _node_item(number: int, node: JobNode) -> dict:
    return to_item({"PK": f"JOB#{number}", "SK": f"NODE#{node.name}", "name": node.name,
                    "state": node.state, "timestamp": node.timestamp,
                    "start_timestamp": node.start_timestamp,
                    "finish_timestamp": node.finish_timestamp,
                    "latest_event_id": node.latest_event_id,
                    "details": json.dumps(node.details)})


def _node(record: dict) -> JobNode:
    return JobNode(name=record["name"], state=record["state"], timestamp=record.get("timestamp"),
                   start_timestamp=record.get("start_timestamp"),
                   finish_timestamp=record.get("finish_timestamp"),
                   latest_event_id=record.get("latest_event_id"),
                   details=json.loads(record.get("details", "{}")))


def _event_item(number: int, event_id: int, event: NewJobEvent) -> dict:
    return to_item({"PK": f"JOB#{number}", "SK": f"EVENT#{event_id:0{ID_WIDTH}d}",
                    "id": event_id, "job": number, "type": event.type,
                    "timestamp": event.timestamp, "details": json.dumps(event.details),
                    "message": event.message})


def _event(record: dict) -> JobEvent:
    return JobEvent(id=record["id"], job=record["job"], type=record["type"],
                    timestamp=record["timestamp"], details=JSONText(record["details"]),
                    message=record["message"])


class JobItems:
    """The orchestrator part of the DynamoDB adapter (mixed into DynamoStorage)."""

    @property
    def _jobs_table(self) -> str:
        return self.table_name("jobs")

    def _counter(self, name: str) -> int:
        return counters.read(self.client, self._jobs_table, name)

    def create_job(self, new: NewJob, record_activity: bool = False) -> Job:
        # Gap-free numbering: the counter moves only together with the job it numbers.
        for _ in attempts():
            current = self._counter("jobs")
            job = Job.create(current + 1, new)
            commits = list(job_commits(job.number, new)) if record_activity else []
            runs = [(job.number, node) for node in new.nodes]
            job_item = _job_item(job)
            owed = len(commits) > JOB_COMMITS_PER_TRANSACTION
            if owed:
                # Durable with the job: whoever reads the job next stores what is owed.
                job_item[OWED] = to_value(True)
            items = [
                {"Update": {
                    "TableName": self._jobs_table,
                    "Key": {"PK": {"S": COUNTER}, "SK": {"S": "jobs"}},
                    "UpdateExpression": "SET #v = :next",
                    "ConditionExpression": "attribute_not_exists(#v) OR #v = :current"
                    if current == 0 else "#v = :current",
                    "ExpressionAttributeNames": {"#v": "value"},
                    "ExpressionAttributeValues": {":next": to_value(job.number),
                                                  ":current": to_value(current)}}},
                {"Put": {"TableName": self._jobs_table, "Item": job_item,
                         "ConditionExpression": "attribute_not_exists(PK)"}},
            ]
            if commits:
                # The first nodes' commits commit with the job (all of them, up to
                # JOB_COMMITS_PER_TRANSACTION nodes); a lost race redoes both.
                activity, _ = self._commit_transaction(commits[:JOB_COMMITS_PER_TRANSACTION],
                                                       runs[:JOB_COMMITS_PER_TRANSACTION])
                items += activity
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                if not is_retryable_write(error):
                    raise
                continue
            if owed:
                # Larger jobs: the other nodes' commits follow, 24 whole commits per
                # transaction (docs/dynamodb.md, "Orchestrator jobs in the activity service").
                # The job exists now: if the store gives out, the job is still answered
                # (a retry would create a second job) and the next read of it stores
                # what is owed.
                try:
                    self._record_owed_commits(job, JOB_COMMITS_PER_TRANSACTION, commits)
                except StoreUnavailable:
                    LOG.warning("job %s created owing activity commits; its next read "
                                "stores them", job.number)
            return job

    def _activity_key(self, number: int) -> dict:
        return {"PK": {"S": f"JOB#{number}"}, "SK": {"S": "ACTIVITY"}}

    def _commits_recorded(self, number: int) -> int:
        """How many of job `number`'s nodes have their commit stored (of a job whose
        item is marked OWED): its ACTIVITY item, absent until the creation's first
        JOB_COMMITS_PER_TRANSACTION nodes are followed by more."""
        response = self.client.get_item(TableName=self._jobs_table, ConsistentRead=True,
                                        Key=self._activity_key(number))
        return from_item(response["Item"])["recorded"] if "Item" in response \
            else JOB_COMMITS_PER_TRANSACTION

    def _record_owed_commits(self, job: Job, recorded: int,
                             commits: list[NewCommit] | None = None) -> None:
        """Store the activity commits of `job`'s nodes from index `recorded` on,
        JOB_COMMITS_PER_TRANSACTION a transaction, in node order. Each transaction
        moves the job's ACTIVITY count past its nodes on condition that it still holds
        `recorded`, and the last also removes the job's OWED marker: of two writers
        completing the same job, one stores each chunk and the other re-reads the count
        and goes on from there, so no commit is ever stored twice."""
        commits = commits or list(job_commits(job.number, _new_job(job)))
        runs = [(job.number, node) for node in job.nodes]
        while recorded < len(commits):
            recorded = self._record_commits_chunk(job.number, recorded, commits, runs)

    def _record_commits_chunk(self, number: int, recorded: int, commits: list[NewCommit],
                              runs: list[tuple[int, str]]) -> int:
        """One transaction of _record_owed_commits; the job's ACTIVITY count after it."""
        for _ in attempts():
            end = min(recorded + JOB_COMMITS_PER_TRANSACTION, len(commits))
            # Sequences are reserved now, so commits stored late sort after every
            # commit stored before them: the activity cursor stays append-only.
            items, _ = self._commit_transaction(commits[recorded:end], runs[recorded:end])
            # The count is kept on a small item of its own: updating the job item
            # (nodes list and all) per chunk would cost its size in WCU each time.
            first = recorded == JOB_COMMITS_PER_TRANSACTION
            items.append({"Update": {
                "TableName": self._jobs_table, "Key": self._activity_key(number),
                "UpdateExpression": "SET #r = :end",
                "ConditionExpression": "attribute_not_exists(PK)" if first else "#r = :recorded",
                "ExpressionAttributeNames": {"#r": "recorded"},
                "ExpressionAttributeValues": {":end": to_value(end),
                                              **({} if first else {":recorded": to_value(recorded)})}}})
            if end == len(commits):
                items.append({"Update": {"TableName": self._jobs_table, "Key": _job_key(number),
                                         "UpdateExpression": "REMOVE #owed",
                                         "ExpressionAttributeNames": {"#owed": OWED}}})
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                if not is_retryable_write(error):
                    raise
                now = self._commits_recorded(number)
                if now != recorded:
                    return now          # another writer stored this chunk
                continue                # a race on the service counter: rebuild
            return end

    def _job_record(self, number: int) -> dict | None:
        response = self.client.get_item(TableName=self._jobs_table, Key=_job_key(number),
                                        ConsistentRead=True)
        return from_item(response["Item"]) if "Item" in response else None

    def get_job(self, number: int) -> Job | None:
        """The job; first stores the activity commits its creation still owes (its
        creator died between transactions, or is still writing them), which the job
        item it reads says at no extra request. Every job route and append_job_events
        read the job here (docs/dynamodb.md, "Orchestrator jobs in the activity service")."""
        record = self._job_record(number)
        if record is None:
            return None
        job = _job(record)
        if record.get(OWED):
            self._record_owed_commits(job, self._commits_recorded(number))
        return job

    def list_jobs(self, where: Node, order_by: str, order: str,
                  limit: int, offset: int) -> Page[Job]:
        path = LISTING_PATHS[order_by]
        filter_node, residual = split(where, ATTRIBUTES)
        plan = Plan((KeyQuery(path, "JOB"),), filter_node, residual)
        runner = Runner(self.client, self._jobs_table, ATTRIBUTES)
        records = runner.page(plan, offset, limit, descending=order == "desc")
        return Page([_job(r) for r in records], runner.count(plan), limit, offset)

    def append_job_events(self, number: int, events: Sequence[NewJobEvent]) -> list[JobEvent]:
        for _ in attempts():
            job = self.get_job(number)
            if job is None:
                raise UnknownJob(number)
            nodes = self._nodes(number, {e.details.get("node") for e in events
                                         if isinstance(e.details.get("node"), str)})
            # Ids are reserved before the write; a retry reserves new, larger ones,
            # so within a job ids increase in commit order (a poller never misses one).
            last = self._reserve_event_ids(len(events))
            stored = list(zip(range(last - len(events) + 1, last + 1), events))
            change = apply_events(job, nodes, stored)
            items = [{"Put": {"TableName": self._jobs_table, "Item": _job_item(change.job),
                              "ConditionExpression": "#ver = :ver",
                              "ExpressionAttributeNames": {"#ver": "version"},
                              "ExpressionAttributeValues": {":ver": to_value(job.version)}}}]
            items += [{"Put": {"TableName": self._jobs_table, "Item": _event_item(number, i, e)}}
                      for i, e in stored]
            items += [{"Put": {"TableName": self._jobs_table, "Item": _node_item(number, n)}}
                      for n in change.nodes.values()]
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                if is_retryable_write(error):
                    continue
                raise
            return [JobEvent(id=i, job=number, type=e.type, timestamp=e.timestamp,
                             details=e.details, message=e.message) for i, e in stored]

    def _job_runs(self, runs: set[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
        """(job, node) -> (job state, node record or None while still "new") for the
        activity commits of job runs (orchestrator/activity.py). Consistent
        BatchGetItems of the jobs' and nodes' items, 100 keys each."""
        keys = [_job_key(n) for n in sorted({job for job, _ in runs})] + \
               [{"PK": {"S": f"JOB#{job}"}, "SK": {"S": f"NODE#{node}"}} for job, node in sorted(runs)]
        states: dict[int, str] = {}
        nodes: dict[tuple[int, str], JobNode] = {}
        for start in range(0, len(keys), BATCH_GET_KEYS):
            request = {self._jobs_table: {"Keys": keys[start:start + BATCH_GET_KEYS],
                                          "ConsistentRead": True}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._jobs_table, []):
                    record = from_item(item)
                    if record["SK"] == "JOB":
                        states[record["number"]] = record["state"]
                    else:
                        nodes[(int(record["PK"][len("JOB#"):]), record["name"])] = _node(record)
                request = response.get("UnprocessedKeys") or None
        pruned = sorted({job for job, _ in runs} - set(states))
        if pruned:
            finals = self._final_runs(pruned)
            for (job, name) in runs:
                if job in finals:
                    states[job] = finals[job]["state"]
                    run = finals[job]["runs"].get(name)
                    if run:
                        nodes[(job, name)] = JobNode(name, run[0] or "new", start_timestamp=run[1],
                                                     finish_timestamp=run[2])
        return {run: (states[run[0]], nodes.get(run)) for run in runs if run[0] in states}

    def _final_runs(self, numbers: list[int]) -> dict[int, dict]:
        """Pruned jobs' frozen runs (JOB#<n>/FINAL, storage/dynamodb/retention.py)."""
        found = {}
        for start in range(0, len(numbers), BATCH_GET_KEYS):
            request = {self._jobs_table: {"Keys": [
                {"PK": {"S": f"JOB#{n}"}, "SK": {"S": "FINAL"}}
                for n in numbers[start:start + BATCH_GET_KEYS]], "ConsistentRead": True}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._jobs_table, []):
                    found[int(item["PK"]["S"][len("JOB#"):])] = json.loads(item["final"]["S"])
                request = response.get("UnprocessedKeys") or None
        return found

    def _reserve_event_ids(self, count: int) -> int:
        return counters.reserve(self.client, self._jobs_table, "events", count)

    def _nodes(self, number: int, names: set[str]) -> dict[str, JobNode]:
        found: dict[str, JobNode] = {}
        for name in sorted(names):
            response = self.client.get_item(
                TableName=self._jobs_table, ConsistentRead=True,
                Key={"PK": {"S": f"JOB#{number}"}, "SK": {"S": f"NODE#{name}"}})
            if "Item" in response:
                found[name] = _node(from_item(response["Item"]))
        return found

    def job_events(self, number: int, start: int, limit: int) -> list[JobEvent]:
        response = self.client.query(
            TableName=self._jobs_table, ConsistentRead=True, Limit=limit,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": f"JOB#{number}"},
                ":lo": {"S": f"EVENT#{max(start, 0):0{ID_WIDTH}d}"},
                ":hi": {"S": "EVENT#" + "9" * ID_WIDTH}})
        return [_event(from_item(item)) for item in response.get("Items", [])]

    def job_nodes(self, number: int) -> list[JobNode]:
        job = self.get_job(number)
        if job is None:
            return []
        stored: dict[str, JobNode] = {}
        arguments = {"TableName": self._jobs_table, "ConsistentRead": True,
                     "KeyConditionExpression": "PK = :pk AND begins_with(SK, :node)",
                     "ExpressionAttributeValues": {":pk": {"S": f"JOB#{number}"},
                                                   ":node": {"S": "NODE#"}}}
        while True:
            response = self.client.query(**arguments)
            for item in response.get("Items", []):
                node = _node(from_item(item))
                stored[node.name] = node
            if "LastEvaluatedKey" not in response:
                break
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [stored.get(name, JobNode(name)) for name in sorted(job.nodes)]
