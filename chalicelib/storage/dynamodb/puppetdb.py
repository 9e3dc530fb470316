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
import zlib

from ... import limits, retention, timestamps
from ...config import settings
from ...paging import Page
from ...puppetdb import nodes
from ...puppetdb.catalogue import EVENT_FIELDS, REPORT_FIELDS
from ...puppetdb.model import Report, canonical_json
from ...query import aggregate, evaluate
from ...query.ast import And, Compare, In, Node, Not, Or, all_of, conjuncts, fields
from ...query.dynamodb import AccessPath, KeyQuery, Plan, plan, split
from .client import attempts
from .codec import from_item, to_item, to_value
from .latest import LatestCopies, latest_plan, split_latest
from .runner import Runner, index_order, take_ordered

_STORED = EVENT_FIELDS + ("seq",)
ATTRIBUTES = {name: name for name in _STORED}
# The containment path is a List attribute, so `=` is DynamoDB's list contains()
# (any element, notes 3); it is read back as the canonical JSON text the port speaks.
ARRAY_FIELDS = frozenset({"containment_path"})
REPORT_ATTRIBUTES = {name: name for name in REPORT_FIELDS}
DETAILS_CHUNK = 300_000      # bytes of metrics+logs JSON per item (DynamoDB's limit is 400 KB)
INLINE_DETAILS = 32_768      # compressed metrics+logs kept in the commit item up to this size
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


# DynamoDB's TTL attribute (tables.py): epoch seconds after which the item is gone.
# TTL deletes up to days late, so every read also drops items past it (_alive).
EXPIRES = retention.EXPIRES_ATTRIBUTE


def _expiry(value: int | None) -> dict:
    return {} if value is None else {EXPIRES: {"N": str(value)}}


def _alive(record: dict, now: int) -> bool:
    """Not past its expiry at `now` (epoch seconds), whether or not TTL deleted it yet."""
    expires = record.get(EXPIRES)
    return expires is None or int(expires) > now


class PuppetdbItems(LatestCopies):
    # ------------------------------------------------------------- writing
    def store_report(self, report: Report) -> bool:
        reports = self.table_name("pdb-reports")
        # One keyed read for the hash and the ids older versions gave the same report.
        present = self._committed((report.hash, *report.aliases))
        if report.hash in present:
            # A stored report still advances `latest`: the request that stored it may
            # have failed between its commit and that update, and this is its retry.
            self._advance_latest(report)
            self._sync_latest(report)
            return False
        if present:         # stored by an older version under its id: a duplicate
            return False
        policy = retention.Policy.from_settings(settings())
        expires = policy.report_expiry(report.latest_key)
        self._put_events(report, policy, expires)
        inline = self._put_details(report, expires)
        summary = {n: report.summary.get(n) for n in REPORT_FIELDS}
        summary.update(hash=report.hash, certname=report.certname)
        try:
            self.client.put_item(
                TableName=reports,
                Item={**to_item(summary), **_report_key(report.hash), **_expiry(expires),
                      "latest_key": {"S": report.latest_key}, "listing": {"S": ALL_REPORTS},
                      "order_key": {"S": order_key(report)},
                      **({"details": {"B": inline}} if inline is not None else {})},
                ConditionExpression="attribute_not_exists(PK)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = False          # a concurrent writer committed the same (identical) events
        else:
            stored = True
        self._advance_latest(report)
        self._sync_latest(report)
        return stored

    def _put_events(self, report: Report, policy, expires: int | None) -> None:
        """Idempotent puts (the key is the report hash and position); invisible until
        commit. Each expires by its own day and resource-events-ttl, at the latest
        with its report (retention.Policy.event_expiry)."""
        requests = [{"PutRequest": {"Item": to_item({
            "PK": "R#" + report.hash, "SK": f"{event['timestamp']}#{event['seq']:06d}", **event,
            "containment_path": _path_list(event.get("containment_path")),
            EXPIRES: policy.event_expiry(event["timestamp"], expires)})}}
            for event in report.events]
        self._batch_put(self.table_name("pdb-events"), requests)

    def _put_details(self, report: Report, expires: int | None) -> bytes | None:
        """Metrics and logs as one JSON document: zlib-compressed in the commit item
        when that is at most INLINE_DETAILS bytes (returned; a report listing then
        reads one item per report, not two), else as chunks beside it (a report's
        logs can outgrow one item), invisible until the commit item exists."""
        document = json.dumps({"metrics": report.summary.get("metrics") or "[]",
                               "logs": report.summary.get("logs") or "[]"}).encode("utf-8")
        packed = zlib.compress(document)
        if len(packed) <= INLINE_DETAILS:
            return packed
        chunks = [document[i:i + DETAILS_CHUNK] for i in range(0, len(document), DETAILS_CHUNK)]
        self._batch_put(self.table_name("pdb-reports"), [
            {"PutRequest": {"Item": {"PK": {"S": "R#" + report.hash},
                                     "SK": {"S": f"DETAILS#{n:04d}"}, "data": {"B": chunk},
                                     **_expiry(expires)}}}
            for n, chunk in enumerate(chunks)])
        return None

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
        """`latest_report = true` (a top-level conjunct) reads the LATEST copies
        (latest.py), which exist only for committed reports; anything else reads the
        events table and keeps events whose report has a commit item. An order led by
        `timestamp` is the key order of every path: without include_total the read
        stops after offset + limit matches (and their ties), else every match is read."""
        latest, rest = split_latest(where)
        now = retention.epoch(timestamps.now())
        if latest:
            table, found_plan = "pdb-latest", latest_plan(rest, ATTRIBUTES, ARRAY_FIELDS)
            keep = lambda chunk: [r for r in chunk if _alive(r, now)]  # noqa: E731
        else:
            node = self._resolve_latest(where, "report")
            table, found_plan = "pdb-events", plan(node, PATHS, ATTRIBUTES, ARRAY_FIELDS)
            keep = lambda chunk: self._committed_only(                  # noqa: E731
                [r for r in chunk if _alive(r, now)], now)
        runner = Runner(self.client, self.table_name(table), ATTRIBUTES, ARRAY_FIELDS)
        direction = index_order(found_plan, order)
        if direction and limit is not None and not with_total:
            stream = runner.records(found_plan, descending=direction == "desc",
                                    order_key=lambda r: r["SK"], first=offset + limit + 1)
            candidates = take_ordered(stream, offset + limit, order[0][0], keep)
        else:
            candidates = list(keep(list(runner.records(found_plan,
                                                       order_key=lambda r: r["SK"]))))
        found = evaluate.sort([_event_record(r) for r in candidates], order)
        end = None if limit is None else offset + limit
        # The full read (include_total) reads every match to sort it: the count is free.
        return Page(found[offset:end], len(found) if with_total else None, limit, offset)

    def _committed_only(self, records: list[dict], alive_at: int | None = None) -> list[dict]:
        committed = self._committed({r["report"] for r in records}, alive_at)
        return [r for r in records if r["report"] in committed]

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
        # A certname past the key rule was never stored, and DynamoDB refuses it as a key.
        return self._batch_get([_node_key(c) for c in sorted(set(certnames))
                                if limits.key_problem(c, "certname") is None])

    def _batch_get(self, keys: list[dict]) -> list[dict]:
        """The pdb-reports items at `keys` that exist: consistent BatchGetItem reads,
        GET_BATCH keys a call, unprocessed keys sent again."""
        table = self.table_name("pdb-reports")
        found: list[dict] = []
        for start in range(0, len(keys), GET_BATCH):
            request = {table: {"Keys": keys[start:start + GET_BATCH], "ConsistentRead": True}}
            for _ in attempts():
                response = self.client.batch_get_item(RequestItems=request)
                found.extend(response["Responses"].get(table, []))
                request = response.get("UnprocessedKeys")
                if not request:
                    break
        return found

    def find_environments(self, where: Node, order: Sequence[tuple[str, str]],
                          offset: int, limit: int | None, *,
                          with_total: bool = True) -> Page[dict]:
        """A Query of the ENVIRONMENTS partition (one item per environment)."""
        runner = Runner(self.client, self.table_name("pdb-reports"), {"name": "SK"})
        found = [{"name": r["SK"]} for r in runner.records(
            Plan((KeyQuery(ENVIRONMENT_PARTITION, ENVIRONMENTS),), None, None), consistent=True)]
        page, total = evaluate.select(where, found, order, offset, limit)
        return Page(page, total if with_total else None, limit, offset)

    def aggregate_nodes(self, where: Node, group_by: Sequence[str],
                        functions: Sequence[aggregate.Function]) -> list[dict]:
        """find_nodes' reads (one item per node), aggregated in process."""
        found = self.find_nodes(where, (), 0, None, with_total=False).items
        return aggregate.rows(found, group_by, functions)

    def aggregate_environments(self, where: Node, group_by: Sequence[str],
                               functions: Sequence[aggregate.Function]) -> list[dict]:
        """find_environments' reads (the ENVIRONMENTS partition), aggregated in process."""
        found = self.find_environments(where, (), 0, None, with_total=False).items
        return aggregate.rows(found, group_by, functions)

    def _latest_reports(self) -> tuple[str, ...]:
        """Every node's latest report hash: a Query on the CERTNAMES partition, not a Scan."""
        hashes = []
        arguments = {"TableName": self.table_name("pdb-reports"),
                     "KeyConditionExpression": "PK = :p",
                     "ExpressionAttributeValues": {":p": {"S": CERTNAMES}}}
        while True:
            response = self.client.query(**arguments)
            # (a node known only from `deactivate node`, or whose reports all expired, has none)
            hashes.extend(h for h in (from_item(i).get("latest_report") for i in response["Items"])
                          if h is not None)
            if "LastEvaluatedKey" not in response:
                return tuple(sorted(hashes))
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def find_reports(self, where: Node, order: Sequence[tuple[str, str]],
                     offset: int, limit: int | None, *, with_total: bool = True) -> Page[dict]:
        """Commit items by REPORT_PATHS (never a scan); metrics and logs are read for
        the page only. An order led by producer_timestamp is the key order of the
        certname and all-reports indexes (`order_key`): without include_total the read
        stops after offset + limit reports (and their ties); else, or in any other
        order, every match is read and sorted like find_events."""
        latest, rest = split_latest(where)
        if latest:
            records = self._latest_commit_items(rest)
            return self._report_page(records, order, offset, limit, with_total)
        node = self._resolve_latest(where, "hash")
        runner = Runner(self.client, self.table_name("pdb-reports"), REPORT_ATTRIBUTES)
        found_plan = plan(node, REPORT_PATHS, REPORT_ATTRIBUTES)
        direction = index_order(found_plan, order)
        # Re-tested in Python: a range on producer_timestamp keys the read, and a report
        # without one ("~" in order_key) satisfies no bound.
        now = retention.epoch(timestamps.now())
        keep = lambda chunk: [r for r in chunk if r["SK"] == "REPORT"      # noqa: E731
                              and _alive(r, now) and evaluate.matches(node, r)]
        if direction and limit is not None and not with_total:
            stream = runner.records(found_plan, descending=direction == "desc",
                                    order_key=lambda r: r.get("order_key", ""), consistent=True,
                                    first=offset + limit + 1)
            records = take_ordered(stream, offset + limit, order[0][0], keep)
        else:
            records = keep(list(runner.records(found_plan, order_key=lambda r: r.get("order_key", ""),
                                               consistent=True)))
        return self._report_page(records, order, offset, limit, with_total)

    def _report_page(self, records: list[dict], order, offset: int, limit: int | None,
                     with_total: bool) -> Page[dict]:
        inline = {r["hash"]: r["details"] for r in records if r.get("details") is not None}
        found = evaluate.sort([{name: r.get(name) for name in REPORT_FIELDS} for r in records],
                              order)
        end = None if limit is None else offset + limit
        page = [{**record, **(json.loads(zlib.decompress(bytes(inline[record["hash"]])))
                              if record["hash"] in inline else self._details(record["hash"]))}
                for record in found[offset:end]]
        return Page(page, len(found) if with_total else None, limit, offset)

    def _report_records(self, where: Node) -> list[dict]:
        """Every report matching `where` (REPORT_FIELDS, no metrics or logs), unordered:
        the latest reports from the node summaries, else commit items by REPORT_PATHS."""
        latest, rest = split_latest(where)
        if latest:
            records = self._latest_commit_items(rest)
        else:
            node = self._resolve_latest(where, "hash")
            runner = Runner(self.client, self.table_name("pdb-reports"), REPORT_ATTRIBUTES)
            now = retention.epoch(timestamps.now())
            records = [r for r in runner.records(plan(node, REPORT_PATHS, REPORT_ATTRIBUTES),
                                                 order_key=lambda r: r.get("order_key", ""),
                                                 consistent=True)
                       if r["SK"] == "REPORT" and _alive(r, now) and evaluate.matches(node, r)]
        return [{name: r.get(name) for name in REPORT_FIELDS} for r in records]

    def aggregate_events(self, where: Node, group_by: Sequence[str],
                         functions: Sequence[aggregate.Function]) -> list[dict]:
        """The same keyed reads as find_events, aggregated in process (query/aggregate.py)."""
        events = self.find_events(where, (), 0, None, with_total=False).items
        return aggregate.rows(events, group_by, functions)

    def aggregate_reports(self, where: Node, group_by: Sequence[str],
                          functions: Sequence[aggregate.Function]) -> list[dict]:
        """The same keyed reads as find_reports (no metrics or logs), aggregated in process."""
        return aggregate.rows(self._report_records(where), group_by, functions)

    def _latest_commit_items(self, rest: Node | None) -> list[dict]:
        """`latest_report? = true` reports: the hashes from the node summaries (a Query
        of the CERTNAMES partition, or keyed gets for named certnames), then their
        commit items by BatchGetItem, tested against `rest` in Python: O(nodes) items,
        never a Scan, nor a filter listing every latest hash (10,000 hashes would
        outgrow DynamoDB's 4 KB expression limit)."""
        on_certname = [t for t in conjuncts(rest) if set(fields(t)) == {"certname"}] \
            if rest is not None else []
        summaries = self.find_nodes(all_of(*on_certname), (("certname", "asc"),), 0, None,
                                    with_total=False).items
        hashes = {s["latest_report_hash"] for s in summaries} - {None}
        now = retention.epoch(timestamps.now())
        return [r for r in map(from_item, self._commit_items(hashes))
                if _alive(r, now) and (rest is None or evaluate.matches(rest, r))]

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

    def _committed(self, report_hashes: Iterable[str], alive_at: int | None = None) -> set[str]:
        """The hashes that have a commit item (keyed BatchGetItem reads); with
        `alive_at` (epoch seconds), only those not expired then."""
        return {item["PK"]["S"][2:] for item in self._commit_items(report_hashes)
                if alive_at is None or _alive(from_item(item), alive_at)}

    def _commit_items(self, report_hashes: Iterable[str]) -> list[dict]:
        """The commit items of these reports that exist (keyed BatchGetItem reads)."""
        return self._batch_get([_report_key(h) for h in sorted(report_hashes)])


def order_key(report: Report) -> str:
    """The reports indexes' sort key: producer time, then hash. A report without a
    producer time (v2) sorts after every time, where PostgreSQL puts NULL (last
    ascending, first descending), so the key order is the v4 order."""
    return f"{report.summary.get('producer_timestamp') or '~'}#{report.hash}"


def _event_record(r: dict) -> dict:
    return {**{name: r.get(name) for name in _STORED},
            "containment_path": _path_text(r.get("containment_path"))}

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
