"""Retention on both adapters under an injected clock (issue 16): reports, events,
jobs and activity commits leave on schedule, and the invariants hold after each
collection (latest report, totals, whole reports, the activity cursor).

`collect_garbage(now, policy)` is the SQLite collector and, on DynamoDB, the scheduled
function's pass; DynamoDB's own TTL deletions (days late) are stood in for by
`ttl_sweep`, and reads must hide expired items before either runs."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import retention, timestamps
from chalicelib.query.ast import EVERYTHING
from tests.activity_factories import commit, messages
from tests.factories import new_job, node_event, job_event
from tests.retention_factories import (DAY, T0, Clock, certname_is, event_reports, latest_is,
                                       lifetimes, report, report_hashes)


def collect(store, clock, policy):
    """What runs periodically: the collector (SQLite) or the scheduled function and
    DynamoDB's own TTL deletions."""
    counts = store.collect_garbage(clock.now, policy)
    if hasattr(store, "client"):
        ttl_sweep(store, clock.now)
    return counts


def ttl_sweep(store, now):
    """DynamoDB's TTL process: delete every item whose `expires_at` has passed."""
    for logical in ("pdb-events", "pdb-reports", "jobs", "activity"):
        table = store.table_name(logical)
        for page in store.client.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                if "expires_at" in item and int(item["expires_at"]["N"]) <= retention.epoch(now):
                    store.client.delete_item(TableName=table,
                                             Key={"PK": item["PK"], "SK": item["SK"]})


# ---------------------------------------------------------------- reports and events

def test_a_report_leaves_on_the_first_utc_day_past_report_ttl(store, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    stored = report("retention-a.example", T0)
    store.store_report(stored)
    # Produced 2026-11-01: PuppetDB drops the day once now - 14d reaches 2026-11-02.
    clock.now = T0.replace(hour=23, minute=59) + 14 * DAY - timedelta(days=1)
    collect(store, clock, policy)
    assert report_hashes(store) == {stored.hash}
    assert len(event_reports(store)) == 2
    clock.now = T0.replace(hour=0, minute=0, second=1) + 15 * DAY
    collect(store, clock, policy)
    assert report_hashes(store) == set()
    assert event_reports(store) == []


def test_expired_reports_are_hidden_from_reads_before_collection_on_dynamodb(store, monkeypatch):
    if not hasattr(store, "client"):
        pytest.skip("SQLite shows a report until the collector's next pass (gc-interval)")
    lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    store.store_report(report("retention-b.example", T0))
    clock.now = T0 + 16 * DAY      # TTL has not deleted anything yet
    assert report_hashes(store) == set()
    assert event_reports(store) == []


def test_events_past_a_shorter_resource_events_ttl_leave_and_the_report_stays(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_RESOURCE_EVENTS_TTL="2d")
    clock = Clock(monkeypatch)
    stored = report("retention-c.example", T0)
    store.store_report(stored)
    clock.advance(4 * DAY)
    collect(store, clock, policy)
    assert report_hashes(store) == {stored.hash}
    assert event_reports(store) == []


def test_the_latest_report_moves_to_the_newest_surviving_report(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_NODE_TTL="0", EVENTS_NODE_PURGE_TTL="0")
    clock = Clock(monkeypatch)
    old, new = report("retention-d.example", T0), report("retention-d.example", T0 + 5 * DAY)
    other = report("retention-e.example", T0 + 5 * DAY)
    for stored in (old, new, other):
        store.store_report(stored)
    clock.now = T0 + 16 * DAY
    collect(store, clock, policy)
    assert report_hashes(store, latest_is()) == {new.hash, other.hash}
    assert set(event_reports(store, latest_is())) == {new.hash, other.hash}
    assert report_hashes(store, certname_is("retention-d.example")) == {new.hash}
    clock.now = T0 + 21 * DAY
    collect(store, clock, policy)
    # No report left: the node has no latest report (PuppetDB sets latest_report_id NULL).
    assert report_hashes(store, latest_is()) == set()
    assert event_reports(store) == []
    assert store.find_reports(latest_is(False), (("hash", "asc"),), 0, None).items == []


def test_a_later_report_after_collection_becomes_the_latest(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_NODE_TTL="0", EVENTS_NODE_PURGE_TTL="0")
    clock = Clock(monkeypatch)
    store.store_report(report("retention-f.example", T0))
    clock.now = T0 + 16 * DAY
    collect(store, clock, policy)
    back = report("retention-f.example", clock.now)
    store.store_report(back)
    assert report_hashes(store, latest_is()) == {back.hash}


def test_readers_see_whole_reports_after_collection(store, monkeypatch):
    """Every listed event's report is listed, and every listed report has all its
    (unexpired) events: a report goes with its events in one step."""
    policy = lifetimes(monkeypatch, EVENTS_NODE_TTL="0", EVENTS_NODE_PURGE_TTL="0")
    clock = Clock(monkeypatch)
    stored = [report(f"retention-g{n}.example", T0 + n * DAY, events=3) for n in range(6)]
    for each in stored:
        store.store_report(each)
    clock.now = T0 + 17 * DAY
    collect(store, clock, policy)
    hashes = report_hashes(store)
    assert hashes == {r.hash for r in stored[3:]}
    events = event_reports(store)
    assert set(events) == hashes
    assert all(events.count(h) == 3 for h in hashes)
    page = store.find_events(EVERYTHING, (("timestamp", "asc"),), 0, 1)
    assert page.total == 9


def test_an_old_report_stored_again_after_collection_is_stored_and_collected(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_NODE_TTL="0", EVENTS_NODE_PURGE_TTL="0")
    clock = Clock(monkeypatch)
    stored = report("retention-h.example", T0)
    store.store_report(stored)
    clock.now = T0 + 16 * DAY
    collect(store, clock, policy)
    assert store.store_report(stored) is True       # PuppetDB stores it (its day is dropped later)
    collect(store, clock, policy)
    assert report_hashes(store) == set()


# ---------------------------------------------------------------- ingest

def test_ingest_keeps_the_report_and_drops_events_older_than_resource_events_ttl(monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_RESOURCE_EVENTS_TTL="1d")
    now = T0 + 10 * DAY
    stored = report("retention-i.example", now,
                    event_times=[T0, now - timedelta(hours=23), now - DAY])
    kept = retention.without_expired_events(stored, now, policy)
    assert kept.hash == stored.hash
    # PuppetDB keeps `timestamp > now - ttl`: the event exactly a day old goes too.
    assert [e["seq"] for e in kept.events] == [stored.events[1]["seq"]]


def test_ingest_keeps_every_event_when_events_are_kept_forever(monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_REPORT_TTL="0", EVENTS_RESOURCE_EVENTS_TTL="0")
    stored = report("retention-j.example", T0)
    assert retention.without_expired_events(stored, T0 + 400 * DAY, policy) is stored


# ---------------------------------------------------------------- jobs

def test_jobs_leave_after_the_pe_threshold_and_numbers_are_not_reused(store, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    first = store.create_job(new_job(timestamp=timestamps.stored(T0)))
    store.append_job_events(first.number, [node_event("node_running", "a.example.com")])
    second = store.create_job(new_job(timestamp=timestamps.stored(T0 + 20 * DAY)))
    clock.now = T0 + 30 * DAY + timedelta(minutes=1)
    counts = collect(store, clock, policy)
    assert counts["jobs"] == 1
    assert store.get_job(first.number) is None
    assert store.job_events(first.number, 0, 100) == []
    assert store.get_job(second.number) is not None
    listing = store.list_jobs(EVERYTHING, "name", "asc", 100, 0)
    assert [j.number for j in listing.items] == [second.number] and listing.total == 1
    # The newest job number stays the cursor pe_event_forwarding keeps: never reused.
    clock.now = T0 + 52 * DAY
    collect(store, clock, policy)
    third = store.create_job(new_job(timestamp=timestamps.stored(clock.now)))
    assert third.number == second.number + 1


def test_a_pruned_jobs_activity_commits_keep_its_last_run(store, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    job = store.create_job(new_job(nodes=("a.example.com",), timestamp=timestamps.stored(T0)),
                           record_activity=True)
    store.append_job_events(job.number, [node_event("node_running", "a.example.com"),
                                         node_event("node_finished", "a.example.com"),
                                         job_event("job_finished")])
    before = store.list_commits("pe-console", EVERYTHING, "asc", 10, 0)
    clock.now = T0 + 31 * DAY
    collect(store, clock, policy)
    after = store.list_commits("pe-console", EVERYTHING, "asc", 10, 0)
    assert [c.events for c in after.items] == [c.events for c in before.items]
    assert after.items[0].events[0]["state"] == "finished"


# ---------------------------------------------------------------- activity commits

def _service_commits(store, clock, days):
    """One classifier commit per day offset, stamped (and submitted) then."""
    added = []
    for day in days:
        clock.now = T0 + day * DAY
        added.append(store.add_commit(commit(timestamp=timestamps.stored(clock.now),
                                             message=f"day {day}")))
    return added


def test_commits_are_kept_forever_by_default(store, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    _service_commits(store, clock, range(3))
    clock.now = T0 + 3000 * DAY
    assert collect(store, clock, policy)["commits"] == 0
    assert store.list_commits("classifier", EVERYTHING, "asc", 10, 0).total == 3


def test_the_activity_cursor_neither_skips_nor_repeats_when_old_commits_go(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_ACTIVITY_TTL="10d")
    clock = Clock(monkeypatch)
    _service_commits(store, clock, range(6))
    polled = store.list_commits("classifier", EVERYTHING, "asc", 1, 0).total     # 6
    clock.now = T0 + 12 * DAY + timedelta(hours=1)       # days 0-2 are past 10 days
    assert collect(store, clock, policy)["commits"] == 3
    _service_commits(store, clock, (14, 15))
    # pe_event_forwarding: total, then pages from its stored offset by page size.
    total = store.list_commits("classifier", EVERYTHING, "asc", 1, 0).total
    assert total == 8
    seen, offset = [], polled
    while True:
        page = store.list_commits("classifier", EVERYTHING, "asc", 1, offset)
        seen += messages(page)
        offset += 1
        if len(page.items) != 1:
            break
    assert seen == ["day 14", "day 15"]
    # The survivors keep their positions 3..7; positions 0..2 are gone.
    assert messages(store.list_commits("classifier", EVERYTHING, "asc", 2, 2)) == ["day 3"]
    assert messages(store.list_commits("classifier", EVERYTHING, "asc", 10, 3))[:2] == \
        ["day 3", "day 4"]
    newest_first = store.list_commits("classifier", EVERYTHING, "desc", 10, 0)
    assert messages(newest_first) == ["day 15", "day 14", "day 5", "day 4", "day 3"]


def test_only_the_oldest_submissions_go_so_positions_stay_put(store, monkeypatch):
    """A commit stamped in the past but submitted after newer ones waits for them:
    deletion follows submission order, never leaving a hole mid-history."""
    policy = lifetimes(monkeypatch, EVENTS_ACTIVITY_TTL="10d")
    clock = Clock(monkeypatch)
    _service_commits(store, clock, (0, 20))
    store.add_commit(commit(timestamp=timestamps.stored(T0), message="late"))
    clock.now = T0 + 25 * DAY
    assert collect(store, clock, policy)["commits"] == 1
    assert messages(store.list_commits("classifier", EVERYTHING, "asc", 10, 1)) == \
        ["day 20", "late"]


# ---------------------------------------------------------------- nodes

def _node(store, certname):
    found = store.find_nodes(certname_is(certname), (("certname", "asc"),), 0, None).items
    return found[0] if found else None


def test_a_node_without_a_report_for_node_ttl_expires(store, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    store.store_report(report("retention-n1.example", T0))
    clock.now = T0 + 6 * DAY
    collect(store, clock, policy)
    assert _node(store, "retention-n1.example")["expired"] is None
    clock.now = T0 + 7 * DAY + timedelta(minutes=1)
    counts = collect(store, clock, policy)
    assert counts["expired_nodes"] == 1
    assert _node(store, "retention-n1.example")["expired"] == timestamps.stored(clock.now)


def test_an_expired_node_that_reports_again_is_active_with_its_new_report(store, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    store.store_report(report("retention-n2.example", T0))
    clock.now = T0 + 8 * DAY
    collect(store, clock, policy)
    back = report("retention-n2.example", T0 + 9 * DAY)
    store.store_report(back)
    node = _node(store, "retention-n2.example")
    assert (node["expired"], node["latest_report_hash"]) == (None, back.hash)


def test_expired_and_deactivated_nodes_are_purged_with_their_reports(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_REPORT_TTL="0", EVENTS_RESOURCE_EVENTS_TTL="0")
    clock = Clock(monkeypatch)
    stale, deactivated, live = (report(f"retention-{n}.example", T0)
                                for n in ("p1", "p2", "p3"))
    for each in (stale, deactivated, live):
        store.store_report(each)
    assert store.deactivate_node("retention-p2.example", timestamps.stored(T0 + DAY))
    clock.now = T0 + 7 * DAY + timedelta(hours=1)         # p1 (and p3) expire now
    store.store_report(report("retention-p3.example", clock.now))
    collect(store, clock, policy)
    clock.now = T0 + 15 * DAY + timedelta(hours=2)        # p2: deactivated 14d + ago
    counts = collect(store, clock, policy)
    assert counts["purged_nodes"] == 1
    assert _node(store, "retention-p2.example") is None
    assert report_hashes(store, certname_is("retention-p2.example")) == set()
    assert event_reports(store, certname_is("retention-p2.example")) == []
    clock.now = T0 + 21 * DAY + timedelta(hours=2)        # p1: expired 14d ago
    assert collect(store, clock, policy)["purged_nodes"] == 1
    assert _node(store, "retention-p1.example") is None
    assert report_hashes(store) == report_hashes(store, certname_is("retention-p3.example"))
    # p3 reported at day 7, so it expired at day 15: kept until day 29.
    assert _node(store, "retention-p3.example")["expired"] == timestamps.stored(T0 + 15 * DAY + timedelta(hours=2))


def test_a_purged_node_that_reports_again_starts_afresh(store, monkeypatch):
    policy = lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    store.store_report(report("retention-q.example", T0))
    clock.now = T0 + 8 * DAY
    collect(store, clock, policy)
    clock.now = T0 + 23 * DAY
    collect(store, clock, policy)
    assert _node(store, "retention-q.example") is None
    back = report("retention-q.example", clock.now)
    store.store_report(back)
    node = _node(store, "retention-q.example")
    assert (node["expired"], node["deactivated"], node["latest_report_hash"]) == \
        (None, None, back.hash)


def test_the_node_summary_never_names_a_deleted_report(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_NODE_TTL="0", EVENTS_NODE_PURGE_TTL="0")
    clock = Clock(monkeypatch)
    store.store_report(report("retention-s.example", T0))
    clock.now = T0 + 16 * DAY
    collect(store, clock, policy)
    node = _node(store, "retention-s.example")
    assert node["latest_report_hash"] is None and node["latest_report_status"] is None
    assert report_hashes(store) == set()


def test_node_counts_follow_events_that_leave_before_their_report(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_RESOURCE_EVENTS_TTL="2d", EVENTS_NODE_TTL="0",
                       EVENTS_NODE_PURGE_TTL="0")
    clock = Clock(monkeypatch)
    stored = report("retention-t.example", T0, events=3)
    store.store_report(stored)
    assert _node(store, "retention-t.example")["successes"] == 3
    clock.now = T0 + 4 * DAY
    collect(store, clock, policy)
    node = _node(store, "retention-t.example")
    assert (node["latest_report_hash"], node["successes"]) == (stored.hash, 0)


def test_the_all_services_cursor_keeps_positions_too(store, monkeypatch):
    policy = lifetimes(monkeypatch, EVENTS_ACTIVITY_TTL="10d")
    clock = Clock(monkeypatch)
    for day in range(4):
        clock.now = T0 + day * DAY
        store.add_commit(commit(service=("rbac", "classifier")[day % 2],
                                timestamp=timestamps.stored(clock.now), message=f"day {day}"))
    clock.now = T0 + 11 * DAY + timedelta(hours=1)            # days 0 and 1 go
    assert collect(store, clock, policy)["commits"] == 2
    everything = store.list_commits(None, EVERYTHING, "asc", 10, 0)
    assert everything.total == 4 and messages(everything) == ["day 2", "day 3"]
    assert messages(store.list_commits(None, EVERYTHING, "asc", 1, 3)) == ["day 3"]
    assert messages(store.list_commits(None, EVERYTHING, "asc", 10, 4)) == []
