"""Retention: how long reports, events, nodes, jobs and activity commits are kept.

The settings are PuppetDB 7's and PE's (README "Retention"; sources below), read by
config.Settings; this module turns them into cut-off times for a clock reading, so
the SQLite collector (storage/sqlite/retention.py), the DynamoDB expiry attributes
and scheduled function (storage/dynamodb/retention.py) and ingestion agree.

PuppetDB 7.12 (puppetlabs/puppetdb documentation/configure.markdown, config.clj,
cli/services.clj, scf/storage.clj):
- `report-ttl` (default 14d): reports are deleted by UTC day: a report whose
  producer timestamp falls on a day before the day of `now - report-ttl` goes
  (`rounded-date`: partitions are dropped whole). Its events go with it.
- `resource-events-ttl` (default: `report-ttl`; longer is a startup error): events
  are deleted by the same day rule on their own timestamp; at ingest, events not
  newer than `now - resource-events-ttl` are not stored (the report still is).
- `node-ttl` (7d): a node with no report newer than `now - node-ttl` is expired.
- `node-purge-ttl` (14d): a node deactivated or expired before `now - node-purge-ttl`
  is deleted with its reports.
Durations: a whole number with `d`, `h`, `m`, `s` or `ms` (`time.clj` parse-period).
`0` (any unit) keeps forever here; PuppetDB reads `resource-events-ttl = 0` as "store
no events" and still sweeps reports by day at `report-ttl = 0` (README, differences).

PE (docs "Configure orchestration", puppet_enterprise::profile::orchestrator::
job_prune_threshold, which sets the orchestrator's `job-prune-days-threshold`):
job reports are removed after a number of days, at least 2, default 30. PE documents
no lifetime for activity-service commits: kept forever unless `activity-ttl` is set.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from . import timestamps

_DURATION = re.compile(r"^\s*([0-9]+)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": timedelta(milliseconds=1), "s": timedelta(seconds=1),
          "m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
FOREVER = timedelta(0)
# The DynamoDB TTL attribute of items that expire (storage/dynamodb/tables.py).
EXPIRES_ATTRIBUTE = "expires_at"
DAY = timedelta(days=1)
# The longest lifetime accepted: cut-offs (now - ttl) and DynamoDB expiry times
# (day + ttl) must stay inside datetime's years 1..9999; PuppetDB sets no bound.
MAX_DURATION = timedelta(days=100 * 365)


def parse_duration(text: str, name: str) -> timedelta:
    """PuppetDB's duration syntax (`14d`, `12h`, `30m`, `45s`, `500ms`; a bare `0`
    too) -> timedelta; FOREVER (zero) keeps forever. ValueError naming the setting."""
    value = (text or "").strip()
    if value == "0":
        return FOREVER
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{name}: {text!r} is not a duration such as 14d, 12h, 30m, 45s "
                         f"or 500ms (0 keeps forever)")
    digits, unit = match.groups()
    # Compared in the unit: a huge count overflows timedelta (OverflowError) and
    # int() refuses more than 4300 digits.
    if len(digits) > 20 or int(digits) > MAX_DURATION // _UNITS[unit]:
        raise ValueError(f"{name}: {text!r} is longer than {MAX_DURATION.days} days "
                         f"(0 keeps forever)")
    return int(digits) * _UNITS[unit]


@dataclass(frozen=True)
class Policy:
    """Lifetimes (FOREVER = keep) and the derived cut-offs for a clock reading."""
    report_ttl: timedelta = timedelta(days=14)
    resource_events_ttl: timedelta = timedelta(days=14)
    node_ttl: timedelta = timedelta(days=7)
    node_purge_ttl: timedelta = timedelta(days=14)
    job_ttl: timedelta = timedelta(days=30)
    activity_ttl: timedelta = FOREVER

    @classmethod
    def from_settings(cls, config) -> "Policy":
        return cls(config.report_ttl, config.resource_events_ttl, config.node_ttl,
                   config.node_purge_ttl, timedelta(days=config.job_prune_days_threshold),
                   config.activity_ttl)

    # ------------------------------------------------------------ cut-offs
    # Each returns a stored-form time: what is older (string order) goes; None keeps all.
    def report_cutoff(self, now: datetime) -> str | None:
        """Reports whose latest key (producer timestamp; v2: end time) is before this
        go: the UTC day of `now - report-ttl` (PuppetDB drops whole days)."""
        return _day_floor(now, self.report_ttl)

    def event_cutoff(self, now: datetime) -> str | None:
        """Events whose timestamp is before this go (their day, as PuppetDB)."""
        return _day_floor(now, self.resource_events_ttl)

    def ingest_cutoff(self, now: datetime) -> str | None:
        """At ingest, events at or before this are not stored (PuppetDB keeps only
        `timestamp > now - resource-events-ttl`, not rounded)."""
        if not self.resource_events_ttl:
            return None
        return timestamps.stored(now - self.resource_events_ttl)

    def expire_before(self, now: datetime) -> str | None:
        """Active nodes whose latest report is before this (or who have none) expire."""
        return None if not self.node_ttl else timestamps.stored(now - self.node_ttl)

    def purge_before(self, now: datetime) -> str | None:
        """Nodes deactivated or expired before this are deleted with their reports."""
        return None if not self.node_purge_ttl else timestamps.stored(now - self.node_purge_ttl)

    def job_cutoff(self, now: datetime) -> str | None:
        """Jobs created before this go, with their nodes and events."""
        return None if not self.job_ttl else timestamps.stored(now - self.job_ttl)

    def commit_cutoff(self, now: datetime) -> str | None:
        """Activity commits before this go, oldest submission first (see
        storage collectors: only a prefix of the submission order is removed)."""
        return None if not self.activity_ttl else timestamps.stored(now - self.activity_ttl)

    # ------------------------------------------------------------ DynamoDB expiry
    def report_expiry(self, latest_key: str) -> int | None:
        """Epoch seconds at which a report (and its events at the latest) expires:
        the start of the day after its key's day, plus report-ttl; None = never.
        Equals report_cutoff: gone exactly when the day rule says so."""
        return _expiry(latest_key, self.report_ttl)

    def event_expiry(self, event_timestamp: str, report_expiry: int | None) -> int | None:
        own = _expiry(event_timestamp, self.resource_events_ttl)
        candidates = [e for e in (own, report_expiry) if e is not None]
        return min(candidates) if candidates else None

    def job_expiry(self, created: str) -> int | None:
        if not self.job_ttl:
            return None
        return int((timestamps.parse(created) + self.job_ttl).timestamp()) + 1


def _day_floor(now: datetime, ttl: timedelta) -> str | None:
    if not ttl:
        return None
    moment = (now - ttl).astimezone(timezone.utc)
    return timestamps.stored(moment.replace(hour=0, minute=0, second=0, microsecond=0))


def _expiry(stored_time: str, ttl: timedelta) -> int | None:
    if not ttl:
        return None
    moment = timestamps.parse(stored_time)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return int((day + DAY + ttl).timestamp())


def epoch(now: datetime) -> int:
    """`now` as the epoch seconds DynamoDB's TTL compares with `expires_at`."""
    return int(now.timestamp())


def without_expired_events(report, now: datetime, policy: Policy):
    """The report (puppetdb.model.Report) to store when received at `now`: its events
    newer than `now - resource-events-ttl` only (PuppetDB scf/storage.clj
    filter-expired-resources); the report itself, its hash and the kept events'
    positions (`seq`) are unchanged."""
    cutoff = policy.ingest_cutoff(now)
    if cutoff is None or all(str(e.get("timestamp") or "") > cutoff for e in report.events):
        return report
    return replace(report, events=tuple(e for e in report.events
                                        if str(e.get("timestamp") or "") > cutoff))


def collect(store, config, now: datetime | None = None, **options) -> dict[str, int]:
    """One collection pass of `store` under `config`'s lifetimes at `now` (default:
    the clock): the SQLite collector, or DynamoDB's scheduled pass (TTL does the rest).
    Returns what it deleted or changed, by kind."""
    return store.collect_garbage(now or timestamps.now(), Policy.from_settings(config), **options)


def collect_garbage(event) -> dict[str, int]:
    """The scheduled function (app.py, every GC_RATE_MINUTES): one pass over the
    configured store, logged. On DynamoDB it does what TTL cannot (node expiry and
    purge, latest reports and summaries, jobs, commits and their counts)."""
    import logging

    from .config import settings
    from .storage import get_storage
    counts = collect(get_storage(), settings())
    logging.getLogger("puppet_events.gc").info("gc pass", extra={"fields": {"gc": counts}})
    return counts


# How often the deployed scheduled function runs: PuppetDB's gc-interval default.
GC_RATE_MINUTES = 60
