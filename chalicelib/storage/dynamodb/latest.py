"""Every node's latest-report events, reachable by key (issue 15; docs/dynamodb.md,
"Latest events").

`pdb-latest` holds a copy of each event of each node's latest report: partition
`PK` = the certname, sort key `SK` = "<timestamp>#<report hash>#<seq>", and
`latest_bucket` (the event's status, one of STATUSES, else OTHER) for the
`pdb-latest-by-status` index. So `latest_report? = true` events are a Query of one
node's partition (with a certname), or of one status partition of the index in
timestamp order (with a status: the dashboard's "latest failures" reads about one
item per item returned), or of the five status partitions merged by time: never
the 64-hash fan-out or the Scan that `report IN (every latest hash)` needed.

Consistency without transactions (a transaction would double the write units, and
moto copies whole tables for each): keys hold the report hash, so a key only ever
holds one report's copy and deleting it is safe whenever that report is not latest.
A writer whose report is its node's latest (a consistent read of the CERTNAMES
item, storage/dynamodb/puppetdb.py) (1) puts its copies, (2) deletes the copies of
every report that ranks below its own (an earlier `latest_key`, or the same key and
a greater hash: the order `latest` moves in), (3) reads the CERTNAMES item again and,
if its report lost the place meanwhile, deletes its own copies. Whoever overtook it
advanced before (3): either its listing (2) saw these copies and deleted them, or it
listed before they were written and (3) removes them. Out-of-order arrival, racing
writers and a writer that died half-way (its retry, or the node's next report,
finishes the work) leave the partition holding exactly the latest report's events;
between a writer's (1) and (2) a reader may see the copies of both.
"""
from __future__ import annotations

from ... import retention
from ...config import settings
from ...puppetdb.catalogue import EVENT_FIELDS
from ...puppetdb.model import Report
from ...query.ast import Compare, In, Node, all_of, conjuncts
from ...query.dynamodb import AccessPath, KeyQuery, Plan, _range, plan, split
from .codec import from_item, to_item

STATUSES = ("failure", "noop", "skipped", "success")
OTHER = "~other"                 # any other status (PuppetDB stores what the report says)
BUCKETS = STATUSES + (OTHER,)
CERTNAMES = "CERTNAMES"

NODE_PATH = AccessPath("latest-node", None, "PK", ("certname",), "{certname}", "SK", "timestamp")
STATUS_PATH = AccessPath("latest-status", "pdb-latest-by-status", "latest_bucket", ("status",),
                         "{status}", "SK", "timestamp")


def bucket(status: str) -> str:
    return status if status in STATUSES else OTHER


def latest_key(event: dict) -> str:
    return f"{event['timestamp']}#{event['report']}#{event['seq']:06d}"


def latest_item(report: Report, event: dict) -> dict:
    """The LATEST copy of one event of `report` (typed attribute values): the one
    place that builds it, so attributes added to every copy (an expiry time) go here."""
    from .puppetdb import EXPIRES, _path_list
    policy = retention.Policy.from_settings(settings())
    expires = policy.event_expiry(event["timestamp"], policy.report_expiry(report.latest_key))
    return to_item({**{name: event.get(name) for name in EVENT_FIELDS}, "seq": event["seq"],
                    "containment_path": _path_list(event.get("containment_path")),
                    "PK": report.certname, "SK": latest_key(event),
                    "latest_key": report.latest_key, "latest_bucket": bucket(event["status"]),
                    EXPIRES: expires})


def split_latest(where: Node) -> tuple[bool, Node | None]:
    """(whether `latest_report = true` is a top-level conjunct, the other conjuncts)."""
    terms = list(conjuncts(where))
    latest = [t for t in terms if isinstance(t, Compare) and t.field == "latest_report"
              and t.op == "=" and t.value is True]
    rest = [t for t in terms if not any(t is l for l in latest)]
    if not latest or any(_names_latest(t) for t in rest):
        return False, None
    return True, (all_of(*rest) if rest else None)


def _names_latest(node: Node) -> bool:
    terms = getattr(node, "terms", None)
    if terms is not None:
        return any(_names_latest(t) for t in terms)
    if hasattr(node, "term"):
        return _names_latest(node.term)
    return node.field == "latest_report"


def latest_plan(rest: Node | None, attributes, array_fields) -> Plan:
    """A certname (or `in` certnames) keys the node partitions; else the status
    index: one partition per status named by `=`/`in`, or all five. The key only
    narrows: every conjunct stays in the filter (a bucket holds other statuses)."""
    if rest is not None:
        keyed = plan(rest, (NODE_PATH,), attributes, array_fields)
        if keyed.queries:
            return keyed
    terms = list(conjuncts(rest)) if rest is not None else []
    statuses: tuple = ()
    for term in terms:
        if isinstance(term, Compare) and term.field == "status" and term.op == "=" \
                and isinstance(term.value, str):
            statuses = (term.value,)
            break
        if isinstance(term, In) and term.field == "status" and term.values \
                and all(isinstance(v, str) for v in term.values):
            statuses = tuple(term.values)
            break
    buckets = sorted({bucket(s) for s in statuses}) if statuses else BUCKETS
    lower, upper, _ = _range(STATUS_PATH, terms)
    filter_node, residual = split(rest, attributes, array_fields) if rest is not None \
        else (None, None)
    return Plan(tuple(KeyQuery(STATUS_PATH, b, lower, upper) for b in buckets),
                filter_node, residual)


class LatestCopies:
    """The write side: keep a node's `pdb-latest` partition equal to its latest report."""

    def _sync_latest(self, report: Report) -> None:
        """Make the node's copies those of `report` if it is the node's latest report
        (else nothing). Safe to repeat and to race (module docstring)."""
        if not self._is_latest(report):
            return
        table = self.table_name("pdb-latest")
        present = self._latest_copies(report.certname)
        mine = {latest_key(e): e for e in report.events}
        self._batch_put(table, [{"PutRequest": {"Item": latest_item(report, mine[key])}}
                                for key in sorted(set(mine) - set(present))])
        below = [key for key, rank in present.items() if _ranks_below(rank, report)]
        self._batch_put(table, [_delete(report.certname, key) for key in sorted(below)])
        if not self._is_latest(report):          # overtaken while writing: step (3)
            self._batch_put(table, [_delete(report.certname, key) for key in sorted(mine)])

    def backfill_latest(self) -> int:
        """Copy every node's latest report into `pdb-latest` (for tables written before
        it existed; idempotent, safe beside live writers: each node goes through
        _sync_latest). Returns the number of nodes with a latest report."""
        from .puppetdb import _event_record
        nodes = 0
        for node in self._partition_items(self.table_name("pdb-reports"), CERTNAMES):
            if node.get("latest_report") is None:
                continue        # known only from `deactivate node`
            events = tuple(_event_record(from_item(item)) for item in
                           self._partition_items(self.table_name("pdb-events"), "R#" + node["latest_report"]["S"]))
            self._sync_latest(Report(hash=node["latest_report"]["S"], certname=node["SK"]["S"],
                                     configuration_version=None,
                                     latest_key=node["latest_key"]["S"], events=events))
            nodes += 1
        return nodes

    def _partition_items(self, table: str, partition: str):
        arguments = {"TableName": table, "ConsistentRead": True,
                     "KeyConditionExpression": "PK = :p",
                     "ExpressionAttributeValues": {":p": {"S": partition}}}
        while True:
            response = self.client.query(**arguments)
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                return
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _is_latest(self, report: Report) -> bool:
        node = self.client.get_item(TableName=self.table_name("pdb-reports"), ConsistentRead=True,
                                    Key={"PK": {"S": CERTNAMES}, "SK": {"S": report.certname}},
                                    ProjectionExpression="latest_report").get("Item")
        return bool(node) and node["latest_report"]["S"] == report.hash

    def _latest_copies(self, certname: str) -> dict[str, tuple[str, str]]:
        """SK -> (latest_key, report hash) of every copy in the node's partition."""
        arguments = {"TableName": self.table_name("pdb-latest"), "ConsistentRead": True,
                     "KeyConditionExpression": "PK = :p",
                     "ProjectionExpression": "SK, latest_key, #r",
                     "ExpressionAttributeNames": {"#r": "report"},
                     "ExpressionAttributeValues": {":p": {"S": certname}}}
        copies: dict[str, tuple[str, str]] = {}
        while True:
            response = self.client.query(**arguments)
            copies.update((i["SK"]["S"], (i["latest_key"]["S"], i["report"]["S"]))
                          for i in response["Items"])
            if "LastEvaluatedKey" not in response:
                return copies
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _ranks_below(rank: tuple[str, str], report: Report) -> bool:
    """Whether a copy's report comes before `report` in the order `latest` moves in."""
    key, report_hash = rank
    return key < report.latest_key or (key == report.latest_key and report_hash > report.hash)


def _delete(certname: str, key: str) -> dict:
    return {"DeleteRequest": {"Key": {"PK": {"S": certname}, "SK": {"S": key}}}}
