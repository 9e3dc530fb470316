"""Subscriptions, deliveries and dead letters as records, and the four sources.

A source record is the dict a subscriber's filter is evaluated on and the event's
`data` is built from. Each source names, for a record:
- its identity (the same record always gives the same webhook-id, so a repeated
  fan-out, e.g. a DynamoDB stream batch retried, delivers under the same id);
- its ordering key: deliveries of one subscription and one key are sent in order
  (a node's reports, a job's events, a service's commits);
- its position within that key (`seq`, text that sorts in order).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Mapping

REPORT = "puppetdb.report"
EVENT = "puppetdb.event"
JOB_EVENT = "orchestrator.job_event"
COMMIT = "activity.commit"
SOURCES = (REPORT, EVENT, JOB_EVENT, COMMIT)
# CloudEvents `type` of each source's events (reverse-DNS, as the spec recommends).
EVENT_TYPES = {source: "com.puppet.events." + source for source in SOURCES}
TEST_TYPE = "com.puppet.events.subscription.test"
# webhook-ids are UUIDv5 of (subscription, source, record identity) in this namespace.
_NAMESPACE = uuid.UUID("6f1d3c1e-9a57-4c0e-8f4e-2b7f3d1c5a17")
SEQ_WIDTH = 20


def _padded(number: int) -> str:
    return f"{int(number):0{SEQ_WIDTH}d}"


@dataclass(frozen=True)
class SourceSpec:
    identity: Callable[[Mapping], str]
    key: Callable[[Mapping], str]
    seq: Callable[[Mapping], str]
    time: Callable[[Mapping], str | None]
    path: Callable[[Mapping], str]          # CloudEvents `source`: the API path of the record


SOURCE_SPECS: dict[str, SourceSpec] = {
    # Reports of a node in producer-timestamp order; a record holds `order_key`
    # "<producer timestamp>#<hash>" (as DynamoDB's report index orders them).
    REPORT: SourceSpec(identity=lambda r: r["hash"], key=lambda r: r["certname"],
                       seq=lambda r: r["order_key"], time=lambda r: r.get("producer_timestamp"),
                       path=lambda r: "/pdb/query/v4/reports/" + r["hash"]),
    EVENT: SourceSpec(identity=lambda r: f"{r['report']}#{int(r['seq']):06d}",
                      key=lambda r: r["certname"],
                      seq=lambda r: f"{r['order_key']}#{int(r['seq']):06d}",
                      time=lambda r: r.get("timestamp"),
                      path=lambda r: f"/pdb/query/v4/reports/{r['report']}/events"),
    JOB_EVENT: SourceSpec(identity=lambda r: str(r["id"]), key=lambda r: str(r["job"]),
                          seq=lambda r: _padded(r["id"]), time=lambda r: r.get("timestamp"),
                          path=lambda r: f"/orchestrator/v1/jobs/{r['job']}/events"),
    COMMIT: SourceSpec(identity=lambda r: f"{r['service_id']}#{r['sequence']}",
                       key=lambda r: r["service_id"], seq=lambda r: _padded(r["sequence"]),
                       time=lambda r: r.get("timestamp"),
                       path=lambda r: "/activity-api/v2/events"),
}


def webhook_id(subscription_id: str, source: str, record: Mapping) -> str:
    """The delivery's id (`webhook-id` and the CloudEvent `id`): the same for the same
    subscription and record, on every attempt and every repeated fan-out."""
    identity = SOURCE_SPECS[source].identity(record)
    return "msg_" + uuid.uuid5(_NAMESPACE, f"{subscription_id}\x1f{source}\x1f{identity}").hex


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    sources: tuple[str, ...]
    filters: Mapping[str, object]      # source -> its query as given (JSON); absent = all
    description: str
    created: str                       # stored timestamp
    salt: str                          # the secret is derived from it (signing.secret_for)

    def view(self) -> dict:
        """The API's JSON form (no secret: that is answered once, by POST)."""
        return {"id": self.id, "url": self.url, "sources": list(self.sources),
                "filter": dict(self.filters) or None, "description": self.description,
                "created": self.created}


@dataclass(frozen=True)
class Delivery:
    """One event owed to one subscription. `body` is the CloudEvent's JSON text,
    fixed when the delivery is made, so every attempt sends the same bytes under
    the same id. Times are epoch seconds."""
    webhook_id: str
    subscription_id: str
    source: str
    key: str                   # the ordering key (SOURCE_SPECS key)
    seq: str                   # position within (subscription, source, key)
    body: str
    created: float
    next_attempt: float
    attempts: int = 0
    last_error: str | None = None
    failed: float | None = None    # when it became a dead letter

    @property
    def group(self) -> str:
        """Deliveries of one group are sent one after another, in `seq` order."""
        return f"{self.subscription_id}\x1f{self.source}\x1f{self.key}"

    def retried(self, now: float, next_attempt: float, error: str) -> "Delivery":
        return replace(self, attempts=self.attempts + 1, next_attempt=next_attempt,
                       last_error=error)

    def dead(self, now: float, error: str) -> "Delivery":
        return replace(self, attempts=self.attempts + 1, last_error=error, failed=now)

    def view(self) -> dict:
        """A dead letter in the API: its id, what it carried, why it failed."""
        return {"id": self.webhook_id, "source": self.source, "key": self.key,
                "attempts": self.attempts, "last_error": self.last_error,
                "created": _iso(self.created), "failed": _iso(self.failed),
                "event": json.loads(self.body)}


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class SourceRecord:
    """A new record of a source, as the write stored it (the outbox's content)."""
    source: str
    record: Mapping[str, object] = field(default_factory=dict)
