"""DynamoDB tables, defined once: the adapter, the tests, the console command and
infra/ all build their tables from these specs (docs/dynamodb.md explains each key).
"""
from __future__ import annotations

from dataclasses import dataclass

from ...retention import EXPIRES_ATTRIBUTE


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: tuple[str, str]              # (attribute, "S" | "N")
    range_key: tuple[str, str] | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str                              # logical name; real name = prefix + name
    hash_key: tuple[str, str] = ("PK", "S")
    range_key: tuple[str, str] | None = ("SK", "S")
    indexes: tuple[Index, ...] = ()
    # DynamoDB TTL: the attribute (epoch seconds) after which items are deleted.
    ttl_attribute: str | None = None
    # A DynamoDB stream of new item images: the tables whose inserts feed webhook
    # subscriptions (subscriptions/stream.py; docs/dynamodb.md, "Subscriptions").
    stream: bool = False

    def create_arguments(self, prefix: str) -> dict:
        """Arguments for `CreateTable` (on-demand billing, indexes project all)."""
        attributes: dict[str, str] = {}
        for attribute, kind in self._keys():
            attributes[attribute] = kind
        arguments = {
            "TableName": prefix + self.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t}
                                     for a, t in sorted(attributes.items())],
            "KeySchema": _key_schema(self.hash_key, self.range_key),
        }
        if self.indexes:
            arguments["GlobalSecondaryIndexes"] = [
                {"IndexName": index.name,
                 "KeySchema": _key_schema(index.hash_key, index.range_key),
                 "Projection": {"ProjectionType": "ALL"}}
                for index in self.indexes]
        if self.stream:
            arguments["StreamSpecification"] = {"StreamEnabled": True,
                                                "StreamViewType": STREAM_VIEW}
        return arguments

    def _keys(self):
        yield self.hash_key
        if self.range_key:
            yield self.range_key
        for index in self.indexes:
            yield index.hash_key
            if index.range_key:
                yield index.range_key


def _key_schema(hash_key, range_key) -> list[dict]:
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    return schema


STREAM_VIEW = "NEW_IMAGE"     # the handler needs the new item only

# Orchestrator: jobs, their nodes and events, and the two counters, in one table.
# Every job carries `jobs = "JOB"` and one sort attribute per `order_by`, so each
# listing order is a Query on its own index (docs/dynamodb.md, "Orchestrator").
JOBS = TableSpec(
    name="jobs",
    stream=True,                 # job events (orchestrator.job_event)
    indexes=(
        Index("jobs-by-name", ("jobs", "S"), ("number", "N")),
        Index("jobs-by-timestamp", ("jobs", "S"), ("by_timestamp", "S")),
        Index("jobs-by-state", ("jobs", "S"), ("by_state", "S")),
        Index("jobs-by-owner", ("jobs", "S"), ("by_owner", "S")),
        Index("jobs-by-environment", ("jobs", "S"), ("by_environment", "S")),
    ),
)

# PuppetDB resource events: one partition per report ("R#<hash>"), sort key
# "<stored timestamp>#<seq>", so a time range is a key condition on every path;
# GSIs for the other keyed patterns (docs/dynamodb.md, "PuppetDB").
PDB_EVENTS = TableSpec(
    name="pdb-events",
    ttl_attribute=EXPIRES_ATTRIBUTE,
    indexes=(
        Index("pdb-events-by-certname", ("certname", "S"), ("SK", "S")),
        Index("pdb-events-by-status", ("status", "S"), ("SK", "S")),
        Index("pdb-events-by-type", ("resource_type", "S"), ("SK", "S")),
    ),
)
# Report commit items ("R#<hash>", "REPORT") carrying the report-level fields,
# their metrics and logs ("R#<hash>", "DETAILS#<n>", chunks of JSON), and the
# latest report per node ("CERTNAMES", certname). Commit items alone have
# `order_key` ("<producer timestamp>#<hash>"), so the two indexes list reports
# by node or all of them in time order (docs/dynamodb.md, "PuppetDB v4").
PDB_REPORTS = TableSpec(
    name="pdb-reports",
    ttl_attribute=EXPIRES_ATTRIBUTE,
    stream=True,                 # report commit items (puppetdb.report, puppetdb.event)
    indexes=(
        Index("pdb-reports-by-certname", ("certname", "S"), ("order_key", "S")),
        Index("pdb-reports-all", ("listing", "S"), ("order_key", "S")),
    ),
)

# Copies of every node's latest-report events (storage/dynamodb/latest.py): one
# partition per node ("<certname>", "<timestamp>#<hash>#<seq>"), and by status bucket
# in time order, so `latest_report? = true` events are keyed reads (docs/dynamodb.md,
# "Latest events").
PDB_LATEST = TableSpec(
    name="pdb-latest",
    ttl_attribute=EXPIRES_ATTRIBUTE,      # each copy expires with the event it copies
    indexes=(Index("pdb-latest-by-status", ("latest_bucket", "S"), ("SK", "S")),),
)

# Activity service: commits by service partition, copies per object and object
# type, a subject index, and counters (docs/dynamodb.md, "Activity service").
ACTIVITY = TableSpec(
    name="activity",
    stream=True,                 # commit items (activity.commit)
    indexes=(Index("activity-by-subject", ("subject_key", "S"), ("order_key", "S")),),
)

# API tokens by public id (hash and metadata only; docs/security.md).
TOKENS = TableSpec(name="tokens", hash_key=("id", "S"), range_key=None)

# Webhook subscriptions ("SUB", id), their pending deliveries (the retry store:
# "D#<group>", seq) and dead letters ("DL#<subscription>", webhook-id). Pending
# deliveries carry `queue` and `due_key`, so the dispatcher finds what is due with
# one Query (docs/dynamodb.md, "Subscriptions").
SUBSCRIPTIONS = TableSpec(
    name="subscriptions",
    indexes=(Index("subscriptions-due", ("queue", "S"), ("due_key", "S")),),
)

TABLES: tuple[TableSpec, ...] = (JOBS, PDB_EVENTS, PDB_REPORTS, PDB_LATEST, ACTIVITY, TOKENS,
                                  SUBSCRIPTIONS)
STREAMED: tuple[TableSpec, ...] = tuple(spec for spec in TABLES if spec.stream)


def create_tables(client, prefix: str, specs=TABLES, wait: bool = True) -> list[str]:
    """Create every table that does not exist yet; returns the names created."""
    existing = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for spec in specs:
        name = prefix + spec.name
        if name in existing:
            continue
        client.create_table(**spec.create_arguments(prefix))
        created.append(name)
    if wait:
        waiter = client.get_waiter("table_exists")
        for name in created:
            waiter.wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    enable_ttl(client, prefix, specs)
    return created


def enable_ttl(client, prefix: str, specs=TABLES) -> list[str]:
    """Turn TimeToLive on for every table whose spec names an attribute, also on
    tables made before it had one (idempotent); returns the tables switched on."""
    switched = []
    for spec in specs:
        if not spec.ttl_attribute:
            continue
        name = prefix + spec.name
        status = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if status.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            continue
        client.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": spec.ttl_attribute})
        switched.append(name)
    return switched
