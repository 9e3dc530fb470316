"""Activity-service commits in DynamoDB (table `activity`).

Items (docs/dynamodb.md, "Activity service"):
  COUNTER / SEQUENCE            value: the last global sequence handed out
  COUNTER / ALL                 value: commits of every service (unfiltered total)
  COUNTER / SVC#<service>       value: commits of the service = its last service_seq;
                                these items are also the registry of service ids
  SVC#<service> / SEQ#<service_seq>    the commit (subject_key -> GSI activity-by-subject)
  OBJ#<type><US><id> / <sequence>      a copy per object, for object_id filters
  OBJT#<type> / <sequence>             a copy per object type, for object_type filters
  ALL / <sequence>                     a copy of every commit: the all-services listing

COUNTER/ALL also holds `copies`: the commits that have their ALL copy. Commits written
before that copy existed make `copies < value`; until `python -m chalicelib.cli
backfill-activity` has copied them, all-services reads fall back to the registry fan-out.

Write: read the service counter, reserve a global sequence (atomic ADD), then one
transaction that moves the service counter from n to n+1 (conditional), adds 1 to
ALL (`value` and `copies`) and puts the commit and its copies. A lost race retries
with a new sequence.
Because the sequence is reserved after reading n, a commit holding service_seq n+1
always has a larger global sequence than the one holding n: within a service,
sequence order is commit order, so `order=asc&offset=<total>` is append-only.
"""
from __future__ import annotations

import json

from botocore.exceptions import ClientError

from ...activity.model import (ARRAY_FIELDS, FIELDS, Commit, Entity, NewCommit, full_filter,
                               record)
from ... import limits
from ...jsontext import JSONText
from ...orchestrator.activity import current_events
from ...paging import Page
from ...query.ast import EVERYTHING, In, Node, Or, all_of, any_of, conjuncts
from ...query.dynamodb import AccessPath, KeyQuery, Plan, plan, split
from . import counters
from .client import attempts, is_retryable_write
from .codec import from_item, to_item, to_value
from .runner import Runner

COUNTER = counters.COUNTER
WIDTH = 15
ATTRIBUTES = {name: name for name in FIELDS}

# Best first: object and subject keys are more selective than a whole service.
PATHS = (
    AccessPath("by-object", None, "PK", ("object_keys",), "OBJ#{object_keys}"),
    AccessPath("by-subject", "activity-by-subject", "subject_key", ("subject_id",),
               "SUBJ#{subject_id}"),
    AccessPath("by-object-type", None, "PK", ("object_types",), "OBJT#{object_types}"),
    AccessPath("by-service", None, "PK", ("service_id",), "SVC#{service_id}"),
)
# Every commit of every service, by sequence: for reads no key above answers.
ALL_SERVICES = KeyQuery(AccessPath("all-services", None, "PK", (), "ALL"), "ALL")
# Copies carry no subject_key (they stay out of the subject GSI) and no service_seq.
_COMMIT_ONLY = ("PK", "SK", "subject_key", "service_seq")


def _padded(number: int) -> str:
    return f"{number:0{WIDTH}d}"


def _commit_attributes(new: NewCommit, sequence: int) -> dict:
    return {**record(new, sequence),
            "subject": json.dumps(new.subject.__dict__),
            "objects": json.dumps([o.__dict__ for o in new.objects]),
            "events": json.dumps(list(new.events))}


def _entity(data: dict) -> Entity:
    return Entity(data["id"], data.get("name"), data.get("type"))


def _commit(item: dict, run: tuple | None = None) -> Commit:
    """`run`: (job state, node record) of a job's commit, whose run keys are shown now."""
    events = JSONText(item["events"]) if run is None else current_events(
        json.loads(item["events"]), *run)
    return Commit(service_id=item["service_id"], subject=_entity(json.loads(item["subject"])),
                  objects=tuple(_entity(o) for o in json.loads(item["objects"])),
                  timestamp=item["timestamp"], events=events,
                  ip_address=item.get("ip_address"), sequence=item["sequence"])


def _distribute(node: Node) -> Node:
    """And(a, Or(b, c)) -> Or(And(a, b), And(a, c)), so each branch can be keyed."""
    terms = list(conjuncts(node))
    ors = [t for t in terms if isinstance(t, Or)]
    if not ors:
        return node
    first = ors[0]
    rest = [t for t in terms if t is not first]
    return any_of(*(all_of(branch, *rest) for branch in first.terms))


def _keyed_plan(where: Node) -> Plan | None:
    """The plan of a filter whose every branch has an object or subject key, or None."""
    if where == EVERYTHING:
        return None
    for node in (where, _distribute(where)):
        query_plan = plan(node, PATHS, ATTRIBUTES, ARRAY_FIELDS)
        if not query_plan.is_scan:
            return query_plan
    return None


class CommitItems:
    """The activity part of the DynamoDB adapter (mixed into DynamoStorage)."""

    @property
    def _activity_table(self) -> str:
        return self.table_name("activity")

    def _activity_counter(self, name: str) -> int:
        return counters.read(self.client, self._activity_table, name)

    def _commits(self, records: list[dict]) -> list[Commit]:
        """Commits of a page; job commits (attributes `job`, `node`) with their runs
        read from the jobs table: one consistent BatchGetItem per 100 keys, none when
        the page holds no job commit."""
        runs = {(r["job"], r["node"]) for r in records if "job" in r}
        if not runs:
            return [_commit(r) for r in records]
        found = self._job_runs(runs)
        return [_commit(r, found.get((r["job"], r["node"]))) if "job" in r else _commit(r)
                for r in records]

    def _reserve_sequence(self, count: int = 1) -> int:
        """Reserve `count` sequences; the last one."""
        return counters.reserve(self.client, self._activity_table, "SEQUENCE", count)

    def add_commit(self, new: NewCommit) -> Commit:
        (sequence,) = self._add_commits([new])
        return Commit(**new.__dict__, sequence=sequence)

    def _add_commits(self, commits: list[NewCommit], job_runs=None) -> list[int]:
        """Store commits of one service in one transaction; their sequences.
        `job_runs`: the (job, node) of each commit (orchestrator/activity.py)."""
        for _ in attempts():
            items, sequences = self._commit_transaction(commits, job_runs)
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                if is_retryable_write(error):
                    continue
                raise
            return sequences

    def _commit_transaction(self, commits: list[NewCommit], job_runs=None):
        """(transaction items, sequences) storing `commits` (one service): reads the
        service counter, then reserves the sequences (in that order: module doc). A
        caller may add its own items to the transaction; a lost race redoes both."""
        current = self._activity_counter("SVC#" + commits[0].service_id)
        last = self._reserve_sequence(len(commits))
        sequences = list(range(last - len(commits) + 1, last + 1))
        return self._commit_writes(commits, job_runs, current, sequences), sequences

    def _commit_writes(self, commits: list[NewCommit], job_runs, current: int,
                       sequences: list[int]) -> list[dict]:
        """Transaction items: the service counter from `current` to current + len,
        COUNTER/ALL, and each commit with its copies (service_seq current + 1, ...)."""
        table, count = self._activity_table, len(commits)
        service_counter = "SVC#" + commits[0].service_id
        items = [
            {"Update": {
                "TableName": table,
                "Key": {"PK": {"S": COUNTER}, "SK": {"S": service_counter}},
                "UpdateExpression": "SET #v = :next",
                "ConditionExpression": "attribute_not_exists(#v)" if current == 0
                else "#v = :current",
                "ExpressionAttributeNames": {"#v": "value"},
                "ExpressionAttributeValues": {":next": to_value(current + count),
                                              **({} if current == 0 else
                                                 {":current": to_value(current)})}}},
            {"Update": {
                "TableName": table, "Key": {"PK": {"S": COUNTER}, "SK": {"S": "ALL"}},
                "UpdateExpression": "ADD #v :n, #c :n",
                "ExpressionAttributeNames": {"#v": "value", "#c": "copies"},
                "ExpressionAttributeValues": {":n": to_value(count)}}},
        ]
        for index, (new, sequence) in enumerate(zip(commits, sequences)):
            attributes = _commit_attributes(new, sequence)
            if job_runs:
                attributes["job"], attributes["node"] = job_runs[index]
            order_key = _padded(sequence)
            service_seq = current + index + 1
            items.append({"Put": {"TableName": table, "ConditionExpression": "attribute_not_exists(PK)",
                                  "Item": to_item({**attributes, "PK": "SVC#" + new.service_id,
                                                   "SK": "SEQ#" + _padded(service_seq),
                                                   "service_seq": service_seq,
                                                   "order_key": order_key,
                                                   "subject_key": "SUBJ#" + new.subject.id})}})
            copies = [f"OBJ#{k}" for k in attributes["object_keys"]] + \
                     [f"OBJT#{t}" for t in attributes["object_types"]] + ["ALL"]
            items += [{"Put": {"TableName": table,
                               "Item": to_item({**attributes, "PK": pk, "SK": order_key,
                                                "order_key": order_key})}}
                      for pk in copies]
        return items

    def _services(self) -> list[str]:
        found = []
        arguments = {"TableName": self._activity_table, "ConsistentRead": True,
                     "KeyConditionExpression": "PK = :pk AND begins_with(SK, :svc)",
                     "ExpressionAttributeValues": {":pk": {"S": COUNTER}, ":svc": {"S": "SVC#"}},
                     "ProjectionExpression": "SK"}
        while True:
            response = self.client.query(**arguments)
            found += [item["SK"]["S"][len("SVC#"):] for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def list_commits(self, service_id: str | None, where: Node, order: str,
                     limit: int, offset: int) -> Page[Commit]:
        if service_id is not None and limits.key_problem(service_id, "service_id"):
            return Page([], 0, limit, offset)   # never stored; DynamoDB refuses it as a key
        if where == EVERYTHING and service_id is not None:
            return self._service_slice(service_id, order, limit, offset)
        runner = Runner(self.client, self._activity_table, ATTRIBUTES, ARRAY_FIELDS)
        options = {"descending": order == "desc", "order_key": lambda r: r["sequence"],
                   "identity": lambda r: r["sequence"], "consistent": True}
        if service_id is not None:
            query_plan = plan(full_filter(service_id, where), PATHS, ATTRIBUTES, ARRAY_FIELDS)
        else:
            # Object and subject keys span every service: no service list is needed.
            query_plan = _keyed_plan(where)
            if query_plan is None:
                page = self._all_services_page(runner, where, limit, offset, options)
                if page is not None:
                    return page
                query_plan = self._registry_plan(where)
                if query_plan is None:
                    return Page([], 0, limit, offset)
        records = runner.page(query_plan, offset, limit, **options)
        if where == EVERYTHING:
            total = self._activity_counter("ALL")
        else:
            total = runner.count(query_plan, **options)
        return Page(self._commits(records), total, limit, offset)

    def _all_services_page(self, runner: Runner, where: Node, limit: int, offset: int,
                           options: dict) -> Page[Commit] | None:
        """One Query of the ALL partition (offset read and dropped), or None while the
        table holds commits without their ALL copy (written before it existed)."""
        # Checked before the page: when every commit counted so far has its copy, and
        # later ones are written with theirs, the ALL partition misses none.
        counter = counters.attributes(self.client, self._activity_table, "ALL")
        if counter.get("copies", 0) != counter.get("value", 0):
            return None
        filter_node, residual = split(where, ATTRIBUTES, ARRAY_FIELDS)
        query_plan = Plan((ALL_SERVICES,), filter_node, residual)
        skip, take = offset, limit
        if where == EVERYTHING and not options["descending"]:
            # Deleted commits (retention) keep their positions, the first ones: as
            # SQLite (storage/sqlite/activity.py list_commits).
            deleted = counter.get("deleted", 0)
            skip, take = max(0, offset - deleted), max(0, limit - max(0, deleted - offset))
        records = runner.page(query_plan, skip, take, **options)
        # The total is read after the page, so it counts every commit the page shows.
        total = self._activity_counter("ALL") if where == EVERYTHING \
            else runner.count(query_plan, **options)
        return Page(self._commits(records), total, limit, offset)

    def _registry_plan(self, where: Node) -> Plan | None:
        """Tables not yet backfilled: every service partition (from the registry),
        merged by sequence. None when there is no service."""
        services = self._services()
        if not services:
            return None
        # Every branch may read a service partition; keyed branches use their own path.
        registry = In("service_id", tuple(services))
        node = _distribute(where)
        node = any_of(*(all_of(registry, b) for b in node.terms)) if isinstance(node, Or) \
            else all_of(registry, node)
        query_plan = plan(node, PATHS, ATTRIBUTES, ARRAY_FIELDS)
        if query_plan.is_scan:
            # More branches x services than plan() fans out to: read every service
            # partition with the whole filter (still Queries, never a Scan).
            filter_node, residual = split(where, ATTRIBUTES, ARRAY_FIELDS)
            query_plan = Plan(tuple(KeyQuery(PATHS[-1], "SVC#" + s) for s in services),
                              filter_node, residual)
        return query_plan

    def backfill_all_services(self) -> int:
        """Give every commit written before the ALL copy existed its copy (idempotent;
        safe beside live writers). Returns the number of copies written."""
        table, written = self._activity_table, 0
        for service in self._services():
            arguments = {"TableName": table, "ConsistentRead": True,
                         "KeyConditionExpression": "PK = :pk",
                         "ExpressionAttributeValues": {":pk": {"S": "SVC#" + service}}}
            while True:
                response = self.client.query(**arguments)
                for item in response.get("Items", []):
                    written += self._copy_to_all(item)
                if "LastEvaluatedKey" not in response:
                    break
                arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return written

    def _copy_to_all(self, commit_item: dict) -> int:
        copy = {k: v for k, v in commit_item.items() if k not in _COMMIT_ONLY}
        items = [{"Put": {"TableName": self._activity_table,
                          "Item": {**copy, "PK": {"S": "ALL"}, "SK": commit_item["order_key"]},
                          "ConditionExpression": "attribute_not_exists(PK)"}},
                 {"Update": {"TableName": self._activity_table,
                             "Key": {"PK": {"S": COUNTER}, "SK": {"S": "ALL"}},
                             "UpdateExpression": "ADD #c :one",
                             "ExpressionAttributeNames": {"#c": "copies"},
                             "ExpressionAttributeValues": {":one": to_value(1)}}}]
        for _ in attempts():
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                reasons = error.response.get("CancellationReasons") or [{}]
                if reasons[0].get("Code") == "ConditionalCheckFailed":
                    return 0    # the copy exists (written with its commit, or by an earlier run)
                if is_retryable_write(error):
                    continue
                raise
            return 1

    def _service_slice(self, service_id: str, order: str, limit: int, offset: int) -> Page[Commit]:
        """Unfiltered listing of one service: service_seq runs 1..total without gaps,
        so the page is a key range (no items skipped) and matches the total read first."""
        total = self._activity_counter("SVC#" + service_id)
        if order == "asc":
            low, high = offset + 1, min(offset + limit, total)
        else:
            low, high = max(1, total - offset - limit + 1), total - offset
        if low > high:
            return Page([], total, limit, offset)
        response = self.client.query(
            TableName=self._activity_table, ConsistentRead=True,
            ScanIndexForward=order == "asc",
            KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
            ExpressionAttributeValues={":pk": {"S": "SVC#" + service_id},
                                       ":lo": {"S": "SEQ#" + _padded(low)},
                                       ":hi": {"S": "SEQ#" + _padded(high)}})
        items = response.get("Items", [])
        while "LastEvaluatedKey" in response:       # pages of more than 1 MB
            response = self.client.query(
                TableName=self._activity_table, ConsistentRead=True,
                ScanIndexForward=order == "asc", ExclusiveStartKey=response["LastEvaluatedKey"],
                KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
                ExpressionAttributeValues={":pk": {"S": "SVC#" + service_id},
                                           ":lo": {"S": "SEQ#" + _padded(low)},
                                           ":hi": {"S": "SEQ#" + _padded(high)}})
            items += response.get("Items", [])
        return Page(self._commits([from_item(i) for i in items]), total, limit, offset)
