"""PuppetDB reports and resource events in DynamoDB (docs/dynamodb.md, "PuppetDB").

A report is made visible by one item: its commit item in `pdb-reports`. Events
are written first (in batches; a real report can hold more than the 100 items
of one transaction), then the commit item by a conditional put. Readers keep
only events whose report has a commit item, so a report is seen whole or not
at all, and storing the same report twice stores it once.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from botocore.exceptions import ClientError

import json

from ...paging import Page
from ...puppetdb import nodes
from ...puppetdb.catalogue import EVENT_FIELDS, REPORT_FIELDS
from ...puppetdb.model import Report, canonical_json
from ...query import evaluate
from ...query.ast import And, Compare, In, Node, Not, Or, all_of, conjuncts, fields
from ...query.dynamodb import AccessPath, KeyQuery, Plan, plan, split
from .client import attempts
from .codec import from_item, to_item, to_value
from .runner import Runner

_STORED = EVENT_FIELDS + ("seq",)
ATTRIBUTES = {name: name for name in _STORED}
# The containment path is a List attribute, so `=` is DynamoDB's list contains()
# (any element, notes 3); it is read back as the canonical JSON text the port speaks.
ARRAY_FIELDS = frozenset({"containment_path"})
REPORT_ATTRIBUTES = {name: name for name in REPORT_FIELDS}
DETAILS_CHUNK = 300_000      # bytes of metrics+logs JSON per item (DynamoDB's limit is 400 KB)
ALL_REPORTS = "REPORT"
CERTNAMES = "CERTNAMES"
ENVIRONMENTS = "ENVIRONMENTS"
BATCH = 25            # BatchWriteItem's limit
GET_BATCH = 100       # BatchGetItem's limit

# Best first: a report is one partition; then node, status, type (each with time bounds).
PATHS = (
    AccessPath("report", None, "PK", ("report",), "R#{report}", "SK", "timestamp"),
    AccessPath("certname", "pdb-events-by-certname", "certname", ("certname",), "{certname}",
               "SK", "timestamp"),
    AccessPath("status", "pdb-events-by-status", "status", ("status",), "{status}",
               "SK", "timestamp"),
    AccessPath("resource_type", "pdb-events-by-type", "resource_type", ("resource_type",),
               "{resource_type}", "SK", "timestamp"),
)


# Reports: one by hash; a node's by producer timestamp; else all of them in time order.
REPORT_PATHS = (
    AccessPath("hash", None, "PK", ("hash",), "R#{hash}"),
    AccessPath("certname", "pdb-reports-by-certname", "certname", ("certname",), "{certname}",
               "order_key", "producer_timestamp"),
    AccessPath("all", "pdb-reports-all", "listing", (), ALL_REPORTS,
               "order_key", "producer_timestamp"),
)


# Nodes: the CERTNAMES partition, one item per node (SK = certname) holding the latest
# report, its summary and the node's state (puppetdb/nodes.py); attribute names are
# the port's, but for the hash (`latest_report`, as before the summary) and certname (SK).
NODE_ATTRIBUTES = {name: name for name in nodes.NODE_FIELDS}
NODE_ATTRIBUTES.update(certname="SK", latest_report_hash="latest_report")
NODE_PARTITION = AccessPath("nodes", None, "PK", (), CERTNAMES)
ENVIRONMENT_PARTITION = AccessPath("environments", None, "PK", (), ENVIRONMENTS)
_NOT_FOUND = "ConditionalCheckFailedException"


def _node_key(certname: str) -> dict:
    return {"PK": {"S": CERTNAMES}, "SK": {"S": certname}}


def _node(item: dict) -> dict:
    record = from_item(item)
    return {name: record.get(attribute) for name, attribute in NODE_ATTRIBUTES.items()}


def _report_key(report_hash: str) -> dict:
    return {"PK": {"S": "R#" + report_hash}, "SK": {"S": "REPORT"}}


class PuppetdbItems:
    # ------------------------------------------------------------- writing
    def store_report(self, report: Report) -> bool:
        reports = self.table_name("pdb-reports")
        # One keyed read for the hash and the ids older versions gave the same report.
        present = self._committed((report.hash, *report.aliases))
        if report.hash in present:
            # A stored report still advances `latest`: the request that stored it may
            # have failed between its commit and that update, and this is its retry.
            self._advance_latest(report)
            return False
        if present:         # stored by an older version under its id: a duplicate
            return False
        self._put_events(report)
        self._put_details(report)
        summary = {n: report.summary.get(n) for n in REPORT_FIELDS}
        summary.update(hash=report.hash, certname=report.certname)
        try:
            self.client.put_item(
                TableName=reports,
                Item={**to_item(summary), **_report_key(report.hash),
                      "latest_key": {"S": report.latest_key}, "listing": {"S": ALL_REPORTS},
                      "order_key": {"S": f"{report.summary.get('producer_timestamp') or report.latest_key}#{report.hash}"}},
                ConditionExpression="attribute_not_exists(PK)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = False          # a concurrent writer committed the same (identical) events
        else:
            stored = True
        self._advance_latest(report)
        return stored

    def _put_events(self, report: Report) -> None:
        """Idempotent puts (the key is the report hash and position); invisible until commit."""
        requests = [{"PutRequest": {"Item": to_item({
            "PK": "R#" + report.hash, "SK": f"{event['timestamp']}#{event['seq']:06d}", **event,
            "containment_path": _path_list(event.get("containment_path"))})}}
            for event in report.events]
        self._batch_put(self.table_name("pdb-events"), requests)

    def _put_details(self, report: Report) -> None:
        """Metrics and logs as chunks of one JSON document (a report's logs can
        outgrow one item); invisible until the commit item exists."""
        document = json.dumps({"metrics": report.summary.get("metrics") or "[]",
                               "logs": report.summary.get("logs") or "[]"}).encode("utf-8")
        chunks = [document[i:i + DETAILS_CHUNK] for i in range(0, len(document), DETAILS_CHUNK)]
        self._batch_put(self.table_name("pdb-reports"), [
            {"PutRequest": {"Item": {"PK": {"S": "R#" + report.hash},
                                     "SK": {"S": f"DETAILS#{n:04d}"}, "data": {"B": chunk}}}}
            for n, chunk in enumerate(chunks)])

    def _batch_put(self, table: str, requests: list) -> None:
        for start in range(0, len(requests), BATCH):
            pending = {table: requests[start:start + BATCH]}
            # Unprocessed items are DynamoDB throttling part of a batch: back off, resend them.
            for _ in attempts():
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not pending:
                    break

    def _advance_latest(self, report: Report) -> None:
        """The node's latest report and its summary move only to a strictly later key
        (notes 2.2), or to a smaller hash on an equal key (the tiebreak of
        storage/base.py store_report): one conditional update of the node's item.
        Then what the old item says decides the rest: the node is reactivated when
        the report is later than its deactivation or expiry (nodes.reactivates), and
        the report's environment recorded unless the node's latest report already
        had it (an older report, or a retry, writes it again: cheap and idempotent)."""
        fields = {NODE_ATTRIBUTES[n]: v for n, v in nodes.latest_summary(report).items()}
        fields["latest_key"] = report.latest_key
        names = {f"#a{i}": name for i, name in enumerate(fields)}
        slot = {name: i for i, name in enumerate(fields)}
        values = {f":a{i}": to_value(v) for i, v in enumerate(fields.values()) if v is not None}
        update = "SET " + ", ".join(f"#a{i} = :a{i}" for i, v in enumerate(fields.values())
                                    if v is not None)
        absent = [f"#a{i}" for i, v in enumerate(fields.values()) if v is None]
        if absent:          # the previous latest report's values must not linger
            update += " REMOVE " + ", ".join(absent)
        key, hash_ = f"#a{slot['latest_key']}", f"#a{slot['latest_report']}"
        try:
            old = self.client.update_item(
                TableName=self.table_name("pdb-reports"), Key=_node_key(report.certname),
                UpdateExpression=update, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="ALL_OLD",
                ConditionExpression=f"attribute_not_exists({key}) OR {key} < :a{slot['latest_key']} "
                                    f"OR ({key} = :a{slot['latest_key']} "
                                    f"AND {hash_} > :a{slot['latest_report']})")
            previous, advanced = from_item(old.get("Attributes", {})), True
        except ClientError as error:
            if error.response["Error"]["Code"] != _NOT_FOUND:
                raise
            previous, advanced = from_item(error.response.get("Item", {})), False
        if nodes.reactivates(previous, report.latest_key):
            self._reactivate(report.certname, report.latest_key)
        environment = report.summary.get("environment")
        if environment is not None and not (
                advanced and previous.get("report_environment") == environment):
            self.client.put_item(TableName=self.table_name("pdb-reports"),
                                 Item={"PK": {"S": ENVIRONMENTS}, "SK": {"S": environment}})

    def _reactivate(self, certname: str, producer_time: str) -> None:
        """maybe-activate-node!, conditional on the state it decides on (nodes.reactivates),
        so a deactivation that lands meanwhile is not undone."""
        try:
            self.client.update_item(
                TableName=self.table_name("pdb-reports"), Key=_node_key(certname),
                UpdateExpression="REMOVE deactivated, expired",
                ConditionExpression="NOT deactivated > :t AND NOT expired > :t "
                                    "AND (deactivated < :t OR expired < :t)",
                ExpressionAttributeValues={":t": {"S": producer_time}})
        except ClientError as error:
            if error.response["Error"]["Code"] != _NOT_FOUND:
                raise

    def deactivate_node(self, certname: str, producer_timestamp: str) -> bool:
        try:
            self.client.update_item(
                TableName=self.table_name("pdb-reports"), Key=_node_key(certname),
                UpdateExpression="SET deactivated = :t",
                ConditionExpression="(attribute_not_exists(latest_key) OR latest_key <= :t) "
                                    "AND (attribute_not_exists(deactivated) OR deactivated < :t)",
                ExpressionAttributeValues={":t": {"S": producer_timestamp}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as error:
            if error.response["Error"]["Code"] != _NOT_FOUND:
                raise
            # Stale when a newer report exists; else it was deactivated later already.
            latest = from_item(error.response.get("Item", {})).get("latest_key")
            return not (latest is not None and latest > producer_timestamp)
        return True

    def expire_node(self, certname: str, expired: str, stale_before: str) -> bool:
        try:
            self.client.update_item(
                TableName=self.table_name("pdb-reports"), Key=_node_key(certname),
                UpdateExpression="SET expired = :t",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(deactivated) "
                                    "AND attribute_not_exists(expired) "
                                    "AND (attribute_not_exists(latest_key) OR latest_key < :s)",
                ExpressionAttributeValues={":t": {"S": expired}, ":s": {"S": stale_before}})
        except ClientError as error:
            if error.response["Error"]["Code"] != _NOT_FOUND:
                raise
            return False
        return True

    # ------------------------------------------------------------- reading
    def find_events(self, where: Node, order: Sequence[tuple[str, str]],
                    offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        node = self._resolve_latest(where, "report")
        runner = Runner(self.client, self.table_name("pdb-events"), ATTRIBUTES, ARRAY_FIELDS)
        candidates = list(runner.records(plan(node, PATHS, ATTRIBUTES, ARRAY_FIELDS),
                                         order_key=lambda r: r["SK"]))
        committed = self._committed({r["report"] for r in candidates})
        found = [{**{name: r.get(name) for name in _STORED},
                  "containment_path": _path_text(r.get("containment_path"))}
                 for r in candidates if r["report"] in committed]
        found = evaluate.sort(found, order)
        end = None if limit is None else offset + limit
        # Every match is read to sort it, so the count costs nothing here.
        return Page(found[offset:end], len(found) if with_total else None, limit, offset)

    def find_nodes(self, where: Node, order: Sequence[tuple[str, str]],
                   offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        """Named certnames: keyed gets (BatchGetItem). Otherwise a Query of the
        CERTNAMES partition, filtered by DynamoDB where it can; sorted in Python."""
        named = _named_certnames(where)
        if named is not None:
            items = self._get_nodes(named)
            found = [record for record in map(_node, items) if evaluate.matches(where, record)]
        else:
            # A filter cannot name the sort key (SK, the certname): tests of certname,
            # like regular expressions, are matched in Python after the read.
            on_key = [t for t in conjuncts(where) if "certname" in set(fields(t))]
            rest = [t for t in conjuncts(where) if "certname" not in set(fields(t))]
            filter_node, residual = split(all_of(*rest), NODE_ATTRIBUTES) if rest else (None, None)
            in_python = all_of(*on_key, *([residual] if residual is not None else []))
            runner = Runner(self.client, self.table_name("pdb-reports"), NODE_ATTRIBUTES)
            node_plan = Plan((KeyQuery(NODE_PARTITION, CERTNAMES),), filter_node, None)
            found = [{name: r.get(attribute) for name, attribute in NODE_ATTRIBUTES.items()}
                     for r in runner.records(node_plan, consistent=True)]
            found = [r for r in found if evaluate.matches(in_python, r)]
        found = evaluate.sort(found, order)
        end = None if limit is None else offset + limit
        return Page(found[offset:end], len(found) if with_total else None, limit, offset)

    def _get_nodes(self, certnames: Sequence[str]) -> list[dict]:
        table = self.table_name("pdb-reports")
        items: list[dict] = []
        wanted = sorted(set(certnames))
        for start in range(0, len(wanted), GET_BATCH):
            request = {table: {"Keys": [_node_key(c) for c in wanted[start:start + GET_BATCH]],
                               "ConsistentRead": True}}
            for _ in attempts():
                response = self.client.batch_get_item(RequestItems=request)
                items.extend(response["Responses"].get(table, []))
                request = response.get("UnprocessedKeys")
                if not request:
                    break
        return items

    def find_environments(self, where: Node, order: Sequence[tuple[str, str]],
                          offset: int, limit: int | None, *,
                          with_total: bool = True) -> Page[dict]:
        """A Query of the ENVIRONMENTS partition (one item per environment)."""
        runner = Runner(self.client, self.table_name("pdb-reports"), {"name": "SK"})
        found = [{"name": r["SK"]} for r in runner.records(
            Plan((KeyQuery(ENVIRONMENT_PARTITION, ENVIRONMENTS),), None, None), consistent=True)]
        page, total = evaluate.select(where, found, order, offset, limit)
        return Page(page, total if with_total else None, limit, offset)

    def _latest_reports(self) -> tuple[str, ...]:
        """Every node's latest report hash: a Query on the CERTNAMES partition, not a Scan."""
        hashes = []
        arguments = {"TableName": self.table_name("pdb-reports"),
                     "KeyConditionExpression": "PK = :p",
                     "ExpressionAttributeValues": {":p": {"S": CERTNAMES}}}
        while True:
            response = self.client.query(**arguments)
            # (a node known only from `deactivate node` has no latest report)
            hashes.extend(h for h in (from_item(i).get("latest_report") for i in response["Items"])
                          if h is not None)
            if "LastEvaluatedKey" not in response:
                return tuple(sorted(hashes))
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def find_reports(self, where: Node, order: Sequence[tuple[str, str]],
                     offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        """Commit items by REPORT_PATHS (never a scan), sorted in Python like
        find_events; metrics and logs are read for the page only."""
        node = self._resolve_latest(where, "hash")
        runner = Runner(self.client, self.table_name("pdb-reports"), REPORT_ATTRIBUTES)
        found = [{name: r.get(name) for name in REPORT_FIELDS}
                 for r in runner.records(plan(node, REPORT_PATHS, REPORT_ATTRIBUTES),
                                         order_key=lambda r: r.get("order_key", ""),
                                         consistent=True)
                 if r["SK"] == "REPORT"]
        found = evaluate.sort(found, order)
        end = None if limit is None else offset + limit
        page = [{**record, **self._details(record["hash"])} for record in found[offset:end]]
        return Page(page, len(found) if with_total else None, limit, offset)

    def _details(self, report_hash: str) -> dict:
        arguments = {"TableName": self.table_name("pdb-reports"), "ConsistentRead": True,
                     "KeyConditionExpression": "PK = :p AND begins_with(SK, :d)",
                     "ExpressionAttributeValues": {":p": {"S": "R#" + report_hash},
                                                   ":d": {"S": "DETAILS#"}}}
        chunks = []
        while True:
            response = self.client.query(**arguments)
            chunks.extend(item["data"]["B"] for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                break
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        if not chunks:
            return {"metrics": "[]", "logs": "[]"}
        return json.loads(b"".join(chunks).decode("utf-8"))

    def _resolve_latest(self, node: Node, key_field: str) -> Node:
        """`latest_report = b` -> `<key_field> IN (latest hashes)` or its negation,
        so the report path can key the read (notes 1.2)."""
        hashes: list = []

        def rewrite(term: Node) -> Node:
            if isinstance(term, (And, Or)):
                return type(term)(tuple(rewrite(t) for t in term.terms))
            if isinstance(term, Not):
                return Not(rewrite(term.term))
            if term.field != "latest_report":
                return term
            if not hashes:
                hashes.append(self._latest_reports())
            member = In(key_field, hashes[0])
            wanted = isinstance(term, Compare) and term.value is True
            return member if wanted else Not(member)
        return rewrite(node)

    def _committed(self, report_hashes: Iterable[str]) -> set[str]:
        """The hashes that have a commit item (keyed BatchGetItem reads)."""
        wanted = sorted(report_hashes)
        table = self.table_name("pdb-reports")
        found: set[str] = set()
        for start in range(0, len(wanted), GET_BATCH):
            request = {table: {"Keys": [_report_key(h) for h in wanted[start:start + GET_BATCH]],
                               "ConsistentRead": True}}
            for _ in attempts():
                response = self.client.batch_get_item(RequestItems=request)
                found.update(from_item(i)["PK"][2:] for i in response["Responses"].get(table, []))
                request = response.get("UnprocessedKeys")
                if not request:
                    break
        return found


def _named_certnames(where: Node) -> tuple[str, ...] | None:
    """The certnames a conjunct of `where` limits the nodes to (`=` or `in`), if any
    and at most a few batches of keyed gets."""
    for term in conjuncts(where):
        if isinstance(term, Compare) and term.field == "certname" and term.op == "=" \
                and isinstance(term.value, str):
            return (term.value,)
        if isinstance(term, In) and term.field == "certname" and len(term.values) <= GET_BATCH \
                and all(isinstance(v, str) for v in term.values):
            return tuple(term.values)
    return None


def _path_list(text: str | None) -> list | None:
    return None if text is None else json.loads(text)


def _path_text(value) -> str | None:
    """A stored path back to canonical JSON text (items of older versions hold text)."""
    if value is None or isinstance(value, str):
        return value
    return canonical_json(list(value))
