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

Consistency: copies are written only by a transaction whose ConditionCheck says the
node's latest report (CERTNAMES item, storage/dynamodb/puppetdb.py) is still the
copied report, and stale copies are deleted by such a transaction of the report
that displaced them. `latest` only moves forward, so a report that lost its place
can never write again, and whoever holds the place removes everything else from
the node's partition: out-of-order arrival, concurrent writers and a writer that
died half-way (its retry, or the node's next report, finishes the work) all leave
the partition holding exactly the latest report's events.
"""
from __future__ import annotations

from botocore.exceptions import ClientError

from ...puppetdb.model import EVENT_FIELDS, Report
from ...query.ast import Compare, In, Node, all_of, conjuncts
from ...query.dynamodb import AccessPath, KeyQuery, Plan, _range, plan, split
from .client import attempts, is_retryable_write
from .codec import to_item

STATUSES = ("failure", "noop", "skipped", "success")
OTHER = "~other"                 # any other status (PuppetDB stores what the report says)
BUCKETS = STATUSES + (OTHER,)
TRANSACTION = 100                # TransactWriteItems' limit: one ConditionCheck + 99 writes
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
    from .puppetdb import _path_list
    return to_item({**{name: event.get(name) for name in EVENT_FIELDS}, "seq": event["seq"],
                    "containment_path": _path_list(event.get("containment_path")),
                    "PK": report.certname, "SK": latest_key(event),
                    "latest_bucket": bucket(event["status"])})


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
        for _ in attempts():
            try:
                self._sync_latest_once(report)
                return
            except ClientError as error:
                if _moved_on(error):
                    return          # a later report holds the place; it cleans up
                if not is_retryable_write(error):
                    raise

    def _sync_latest_once(self, report: Report) -> None:
        reports = self.table_name("pdb-reports")
        node = self.client.get_item(TableName=reports, ConsistentRead=True,
                                    Key={"PK": {"S": CERTNAMES}, "SK": {"S": report.certname}},
                                    ProjectionExpression="latest_report").get("Item")
        if not node or node["latest_report"]["S"] != report.hash:
            return
        table = self.table_name("pdb-latest")
        present = self._latest_keys(report.certname)
        wanted = {latest_key(e): e for e in report.events}
        writes = [{"Delete": {"TableName": table, "Key": {"PK": {"S": report.certname},
                                                          "SK": {"S": key}}}}
                  for key in sorted(present - set(wanted))]
        writes += [{"Put": {"TableName": table, "Item": latest_item(report, wanted[key])}}
                   for key in sorted(set(wanted) - present)]
        check = {"ConditionCheck": {
            "TableName": reports, "Key": {"PK": {"S": CERTNAMES}, "SK": {"S": report.certname}},
            "ConditionExpression": "latest_report = :h",
            "ExpressionAttributeValues": {":h": {"S": report.hash}}}}
        # Deletes first: a report of up to 49 events swaps in one transaction.
        for start in range(0, len(writes), TRANSACTION - 1):
            self.client.transact_write_items(
                TransactItems=[check, *writes[start:start + TRANSACTION - 1]])

    def _latest_keys(self, certname: str) -> set[str]:
        arguments = {"TableName": self.table_name("pdb-latest"), "ConsistentRead": True,
                     "KeyConditionExpression": "PK = :p", "ProjectionExpression": "SK",
                     "ExpressionAttributeValues": {":p": {"S": certname}}}
        keys: set[str] = set()
        while True:
            response = self.client.query(**arguments)
            keys.update(item["SK"]["S"] for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return keys
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _moved_on(error: ClientError) -> bool:
    """The transaction's ConditionCheck (its first item) failed: not the latest report."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or [{}]
    return reasons[0].get("Code") == "ConditionalCheckFailed"
