"""The scheduled pass on DynamoDB (app.py `collect_garbage`, docs/dynamodb.md
"Retention"): what native TTL cannot do.

TTL deletes expired report, detail and event items on its own (tables.py enables it
on `expires_at`), days late, and reads drop them before that. This pass does the
rest, each step idempotent and safe beside live writers:
- nodes whose latest report has expired: moved to their newest surviving report,
  or left without one (conditional on the latest not having moved meanwhile);
- jobs past the PE threshold: their runs frozen into one JOB#<n>/FINAL item (what
  their activity commits show afterwards), then every item of the job deleted; the
  job counter is never lowered, so numbers are not reused;
- activity commits past activity-ttl, oldest global sequence first and only up to
  the first unexpired one, each commit with its copies and the `deleted` counts of
  COUNTER/ALL and COUNTER/SVC#<service> in one transaction: deleted commits keep
  their positions (the `order=asc&offset=<total>` cursor).
Jobs and commits are deleted here rather than by TTL because those steps must move
counters and freeze runs with the deletion.
"""
from __future__ import annotations

import json
from datetime import datetime

from botocore.exceptions import ClientError

from ... import retention, timestamps
from ...puppetdb import nodes as node_summary
from ...retention import Policy
from . import counters
from .client import attempts, is_retryable_write
from .codec import from_item, to_value

COUNTER = counters.COUNTER
PAGE = 100


class RetentionItems:
    """collect_garbage for the DynamoDB adapter (mixed into DynamoStorage)."""

    def collect_garbage(self, now: datetime, policy: Policy) -> dict[str, int]:
        """One pass at clock reading `now`; returns what it changed:
        {"events", "reports", "jobs", "commits", "expired_nodes", "purged_nodes",
        "latest_moved"} (events and reports: 0, TTL deletes them)."""
        counts = dict.fromkeys(("events", "reports", "jobs", "commits", "expired_nodes",
                                "purged_nodes", "latest_moved"), 0)
        counts["latest_moved"] = self._repair_latest(retention.epoch(now), policy.event_cutoff(now))
        counts.update(self._collect_nodes(now, policy))
        if policy.job_cutoff(now):
            counts["jobs"] = self._prune_jobs(policy.job_cutoff(now))
        if policy.commit_cutoff(now):
            counts["commits"] = self._delete_commits(policy.commit_cutoff(now))
        return counts

    def _collect_nodes(self, now: datetime, policy: Policy) -> dict[str, int]:
        """PuppetDB's expire-stale-nodes (node-ttl) and purge (node-purge-ttl), over
        the CERTNAMES partition (one Query per pass, a node per item)."""
        counts = {"expired_nodes": 0, "purged_nodes": 0}
        stale_before, purge_before = policy.expire_before(now), policy.purge_before(now)
        if not (stale_before or purge_before):
            return counts
        for item in list(self._retention_items(self.table_name("pdb-reports"), "PK = :p",
                                         {":p": {"S": "CERTNAMES"}})):
            node = from_item(item)
            certname = node["SK"]
            gone_at = [t for t in (node.get("deactivated"), node.get("expired")) if t]
            if purge_before and gone_at and min(gone_at) < purge_before:
                counts["purged_nodes"] += self._purge_node(certname, purge_before)
            elif stale_before and not gone_at and node.get("latest_key", "") < stale_before:
                counts["expired_nodes"] += self.expire_node(
                    certname, timestamps.stored(now), stale_before)
        return counts

    def _purge_node(self, certname: str, purge_before: str) -> int:
        """Its reports (each commit item first, so readers stop seeing it whole),
        then the node, unless a report reactivated it meanwhile."""
        table = self.table_name("pdb-reports")
        for item in list(self._retention_items(table, "certname = :c", {":c": {"S": certname}},
                                         index="pdb-reports-by-certname")):
            if item["SK"]["S"] == "REPORT":
                self._delete_report(item["PK"]["S"][2:])
        try:
            self.client.delete_item(
                TableName=table, Key={"PK": {"S": "CERTNAMES"}, "SK": {"S": certname}},
                ConditionExpression="deactivated < :p OR expired < :p",
                ExpressionAttributeValues={":p": {"S": purge_before}})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return 0
        return 1

    def _delete_report(self, report_hash: str) -> None:
        reports, events = self.table_name("pdb-reports"), self.table_name("pdb-events")
        self.client.delete_item(TableName=reports,
                                Key={"PK": {"S": "R#" + report_hash}, "SK": {"S": "REPORT"}})
        for table in (events, reports):
            keys = [{"PK": i["PK"], "SK": i["SK"]} for i in self._retention_items(
                table, "PK = :p", {":p": {"S": "R#" + report_hash}})]
            self._batch_delete(table, keys)

    def _batch_delete(self, table: str, keys: list[dict]) -> None:
        for start in range(0, len(keys), 25):
            pending = {table: [{"DeleteRequest": {"Key": k}} for k in keys[start:start + 25]]}
            for _ in attempts():
                pending = self.client.batch_write_item(RequestItems=pending).get(
                    "UnprocessedItems")
                if not pending:
                    break

    # ------------------------------------------------------------ latest reports
    def _repair_latest(self, now: int, event_cutoff: str | None) -> int:
        """Nodes whose latest report has expired get their newest unexpired report
        (or none); nodes whose latest report outlived some of its events (a shorter
        resource-events-ttl) get their counts again."""
        table = self.table_name("pdb-reports")
        found = list(self._retention_items(table, "PK = :p", {":p": {"S": "CERTNAMES"}}))
        latest = {n["latest_report"]["S"]: from_item(n) for n in found if "latest_report" in n}
        alive = self._committed(latest, alive_at=now)
        moved = 0
        for report_hash, node in sorted(latest.items()):
            if report_hash in alive:
                if event_cutoff and node.get("latest_key", "") < event_cutoff and any(
                        node.get(n) for n in node_summary.COUNT_FIELDS):
                    self._set_latest(node["SK"], report_hash,
                                     self._report_record(report_hash), now)
                continue
            newest = self._newest_alive_report(node["SK"], now)
            moved += self._set_latest(node["SK"], report_hash, newest, now)
        return moved

    def _report_record(self, report_hash: str) -> dict | None:
        response = self.client.get_item(TableName=self.table_name("pdb-reports"),
                                        ConsistentRead=True,
                                        Key={"PK": {"S": "R#" + report_hash},
                                             "SK": {"S": "REPORT"}})
        return from_item(response["Item"]) if "Item" in response else None

    def _newest_alive_report(self, certname: str, now: int) -> dict | None:
        """The node's report with the greatest latest key (then smallest hash) that
        has not expired: by-certname index, newest first."""
        best = None
        for item in self._retention_items(self.table_name("pdb-reports"), "certname = :c",
                                    {":c": {"S": certname}}, index="pdb-reports-by-certname",
                                    forward=False):
            record = from_item(item)
            if record.get("SK") != "REPORT" or not _alive(record, now):
                continue
            key = (record["latest_key"], _Reversed(record["hash"]))
            if best is None or key > best[0]:
                best = (key, record)
        return None if best is None else best[1]

    def _set_latest(self, certname: str, gone: str, newest: dict | None, now: int) -> int:
        """The node's summary from `newest` (its unexpired events counted), or none
        left but its state and latest key (PuppetDB nulls latest_report_id and keeps
        latest_report_timestamp); conditional on the latest not having moved since."""
        fields = {n: None for n in node_summary.LATEST_FIELDS}
        if newest is not None:
            fields["latest_report_hash"] = newest["hash"]
            fields.update({n: newest.get(source)
                           for n, source in node_summary.FROM_REPORT.items()})
            statuses: dict[str, int] = {}
            for item in self._retention_items(self.table_name("pdb-events"), "PK = :p",
                                        {":p": {"S": "R#" + newest["hash"]}}):
                event = from_item(item)
                if _alive(event, now):
                    statuses[event["status"]] = statuses.get(event["status"], 0) + 1
            fields.update({n: 0 for n in node_summary.COUNT_FIELDS})
            fields.update(node_summary.counts_by_status(statuses))
            fields["latest_key"] = newest["latest_key"]
        attributes = {("latest_report" if n == "latest_report_hash" else n): v
                      for n, v in fields.items()}
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        values = {f":a{i}": to_value(v) for i, v in enumerate(attributes.values())
                  if v is not None}
        sets = [f"#a{i} = :a{i}" for i, v in enumerate(attributes.values()) if v is not None]
        removes = [f"#a{i}" for i, v in enumerate(attributes.values()) if v is None]
        update = ("SET " + ", ".join(sets) if sets else "") + \
                 (" REMOVE " + ", ".join(removes) if removes else "")
        try:    # unless a report stored meanwhile moved it
            self.client.update_item(
                TableName=self.table_name("pdb-reports"),
                Key={"PK": {"S": "CERTNAMES"}, "SK": {"S": certname}},
                UpdateExpression=update.strip(), ExpressionAttributeNames=names,
                ConditionExpression="latest_report = :gone",
                ExpressionAttributeValues={**values, ":gone": {"S": gone}})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return 0
        return 1

    # ------------------------------------------------------------ jobs
    def _prune_jobs(self, cutoff: str) -> int:
        """Jobs by number from the oldest, while created before `cutoff`."""
        table, pruned = self._jobs_table, 0
        for item in self._retention_items(table, "jobs = :j", {":j": {"S": "JOB"}},
                                    index="jobs-by-name"):
            job = from_item(item)
            if job["created_timestamp"] >= cutoff:
                break
            self._prune_job(job)
            pruned += 1
        return pruned

    def _prune_job(self, job: dict) -> None:
        number, table = job["number"], self._jobs_table
        items = list(self._retention_items(table, "PK = :p", {":p": {"S": f"JOB#{number}"}}))
        nodes = {from_item(i)["name"]: from_item(i) for i in items
                 if i["SK"]["S"].startswith("NODE#")}
        final = {"state": job["state"],
                 "runs": {name: [n.get("state"), n.get("start_timestamp"),
                                 n.get("finish_timestamp")] for name, n in nodes.items()}}
        # First the frozen runs, then the job: a reader in between sees either.
        self.client.put_item(TableName=table, Item={
            "PK": {"S": f"JOB#{number}"}, "SK": {"S": "FINAL"},
            "final": {"S": json.dumps(final, sort_keys=True)}})
        keys = [{"PK": i["PK"], "SK": i["SK"]} for i in items if i["SK"]["S"] != "FINAL"]
        # The job item last: while it exists the job is listed whole.
        keys.sort(key=lambda k: k["SK"]["S"] == "JOB")
        self._batch_delete(table, keys)

    # ------------------------------------------------------------ activity
    def _delete_commits(self, cutoff: str) -> int:
        """Oldest first by global sequence (the ALL partition), up to the first commit
        that has not expired."""
        table, deleted = self._activity_table, 0
        for item in self._retention_items(table, "PK = :p", {":p": {"S": "ALL"}}):
            record = from_item(item)
            if record["timestamp"] >= cutoff:
                break
            self._delete_commit(record)
            deleted += 1
        return deleted

    def _delete_commit(self, record: dict) -> None:
        """The commit, its copies and the deleted counts in one transaction. The main
        item is the service partition's first (older ones are gone already)."""
        table, service = self._activity_table, record["service_id"]
        first = self.client.query(TableName=table, ConsistentRead=True, Limit=1,
                                  KeyConditionExpression="PK = :p AND begins_with(SK, :s)",
                                  ExpressionAttributeValues={":p": {"S": "SVC#" + service},
                                                             ":s": {"S": "SEQ#"}})["Items"]
        keys = [{"PK": {"S": pk}, "SK": {"S": record["order_key"]}} for pk in
                [f"OBJ#{k}" for k in record.get("object_keys", ())]
                + [f"OBJT#{t}" for t in record.get("object_types", ())] + ["ALL"]]
        if first and from_item(first[0])["sequence"] == record["sequence"]:
            keys.append({"PK": first[0]["PK"], "SK": first[0]["SK"]})
        # The ALL copy only if still there: a pass that died after this transaction
        # committed finds it gone, and the counts move once.
        items = [{"Delete": {"TableName": table, "Key": k,
                             **({"ConditionExpression": "attribute_exists(PK)"}
                                if k["PK"]["S"] == "ALL" else {})}} for k in keys]
        items += [{"Update": {"TableName": table,
                              "Key": {"PK": {"S": COUNTER}, "SK": {"S": name}},
                              "UpdateExpression": "ADD deleted :one",
                              "ExpressionAttributeValues": {":one": to_value(1)}}}
                  for name in ("ALL", "SVC#" + service)]
        for _ in attempts():
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                reasons = error.response.get("CancellationReasons") or []
                if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    return
                if is_retryable_write(error):
                    continue
                raise
            return

    # ------------------------------------------------------------ reading
    def _retention_items(self, table: str, condition: str, values: dict, *, index: str | None = None,
                   forward: bool = True):
        arguments = {"TableName": table, "KeyConditionExpression": condition,
                     "ExpressionAttributeValues": values, "ScanIndexForward": forward}
        if index:
            arguments["IndexName"] = index
        else:
            arguments["ConsistentRead"] = True
        while True:
            response = self.client.query(**arguments)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _alive(record: dict, now: int) -> bool:
    expires = record.get(retention.EXPIRES_ATTRIBUTE)
    return expires is None or int(expires) > now


class _Reversed(str):
    """Orders hashes descending inside an ascending key (smaller hash wins)."""

    def __lt__(self, other):
        return str.__gt__(self, other)

    def __gt__(self, other):
        return str.__lt__(self, other)
