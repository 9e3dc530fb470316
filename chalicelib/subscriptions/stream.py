"""The cloud's outbox: DynamoDB Streams records of the tables the writes fill
(tables.STREAMED) -> source records -> deliveries in the retry store -> sent.

The stream is written by DynamoDB with the item, so nothing the write does waits for
it, and a record is seen exactly when the item is stored. Items that are events:
- pdb-reports `R#<hash>` / `REPORT` (the report's commit item, written after its
  events): one puppetdb.report record; its events are read back (one Query on the
  report's partition) when a subscription wants puppetdb.event records or the
  report's event counts;
- jobs `JOB#<n>` / `EVENT#<id>`: one orchestrator.job_event record;
- activity `SVC#<service>` / `SEQ#<n>` (the commit, not its per-object copies): one
  activity.commit record.
Every other item (counters, nodes, copies, details) is ignored.
"""
from __future__ import annotations

import json
import time

from ..query.ast import Compare
from . import delivery, model, records


def _table(arn: str) -> str:
    # arn:aws:dynamodb:region:account:table/<name>/stream/<label>
    return arn.split(":table/", 1)[1].split("/stream/", 1)[0]


def source_records(store, stream_records: list[dict], wanted: set[str]) -> list[model.SourceRecord]:
    """The source records of a batch's INSERTs, for the sources in `wanted`."""
    # Imported here, not at the top: app.py imports this module, and the DynamoDB
    # package brings in botocore, which the SQLite stage and a cold start need not load.
    from ..storage.dynamodb.codec import from_item

    found: list[model.SourceRecord] = []
    prefix = store.table_prefix
    for stream_record in stream_records:
        if stream_record.get("eventName") != "INSERT":
            continue
        table = _table(stream_record["eventSourceARN"])
        if not table.startswith(prefix):
            continue
        logical = table[len(prefix):]
        item = from_item(stream_record["dynamodb"].get("NewImage", {}))
        pk, sk = str(item.get("PK", "")), str(item.get("SK", ""))
        if logical == "pdb-reports" and sk == "REPORT" and pk.startswith("R#"):
            found.extend(_report(store, item, wanted))
        elif logical == "jobs" and sk.startswith("EVENT#") and model.JOB_EVENT in wanted:
            found.append(model.SourceRecord(model.JOB_EVENT, {
                "id": item["id"], "job": item["job"], "type": item["type"],
                "timestamp": item["timestamp"], "details": json.loads(item["details"]),
                "message": item["message"]}))
        elif logical == "activity" and pk.startswith("SVC#") and sk.startswith("SEQ#") \
                and model.COMMIT in wanted:
            found.append(model.SourceRecord(model.COMMIT, {
                "sequence": item["sequence"], "service_id": item["service_id"],
                "subject": json.loads(item["subject"]), "objects": json.loads(item["objects"]),
                "ip_address": item.get("ip_address"), "timestamp": item["timestamp"],
                "events": json.loads(item["events"])}))
    return found


def _report(store, item: dict, wanted: set[str]) -> list[model.SourceRecord]:
    if not wanted & {model.REPORT, model.EVENT}:
        return []
    report_hash = item["hash"]
    events = store.find_events(Compare("report", "=", report_hash), (("seq", "asc"),), 0, None,
                               with_total=False).items
    record = records.report_record(item, report_hash, item["certname"], item["latest_key"],
                                   (e["status"] for e in events))
    found = []
    if model.REPORT in wanted:
        found.append(model.SourceRecord(model.REPORT, record))
    if model.EVENT in wanted:
        found.extend(model.SourceRecord(model.EVENT, r)
                     for r in records.event_records(events, record["order_key"]))
    return found


def handle(store, stream_records: list[dict], clock=time.time, config=None,
           budget: float | None = None) -> int:
    """A batch of stream records: its deliveries queued in the retry store, then every
    due group sent (delivery.dispatch). Raises only when the store fails (the event
    source mapping then retries the batch, bisecting it; deliveries are idempotent)."""
    subscriptions = store.list_subscriptions()
    if not subscriptions:
        return 0
    wanted = {source for s in subscriptions for source in s.sources}
    items = source_records(store, stream_records, wanted)
    deliveries = delivery.fan_out(subscriptions, items, clock())
    if deliveries:
        store.queue_deliveries(deliveries)
    return delivery.dispatch(store, clock, config, budget=budget)


# The event source mappings (infra/template.py): records per invocation, a failing
# batch split in two until the bad record is alone, at most RETRIES retries, then the
# batch's description goes to the dead-letter queue. The handler itself only fails
# when DynamoDB does: a receiver's failure is a retry-store entry, not an error.
BATCH_SIZE = 100
RETRIES = 5
# The functions' time limit (infra/template.py) and the part of it spent sending: no
# attempt starts after SEND_BUDGET, and one attempt takes at most the 10 s timeout.
TIMEOUT_SECONDS = 120
SEND_BUDGET = 90
# Chalice needs an ARN when app.py is imported; the packaged template replaces it with
# each table's real stream (infra/template.py subscription_streams).
PLACEHOLDER_ARN = ("arn:aws:dynamodb:us-east-1:000000000000:table/puppet-events-pdb-reports/"
                   "stream/1970-01-01T00:00:00.000")


def on_stream(event: dict) -> int:
    """The Lambda entry (app.py): a DynamoDB Streams event -> deliveries sent."""
    from ..storage import get_storage
    return handle(get_storage(), event.get("Records", []), budget=SEND_BUDGET)


def on_schedule() -> int:
    """The retry store's schedule (app.py, every minute): whatever is due is sent."""
    from ..storage import get_storage
    return delivery.dispatch(get_storage(), budget=SEND_BUDGET)
