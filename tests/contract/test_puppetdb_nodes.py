"""Nodes on both adapters: the latest-report summary kept on write (issue 15), node
state (`deactivate node`, reactivation, expiry), environments (issue 14 item 2).

Rules from PuppetDB 7 (scf/storage.clj): the latest report is the greatest
producer time, then the smaller hash; deactivate-node! is stale when a newer report
exists and keeps a later deactivation; maybe-activate-node! reactivates on a report
produced after the deactivation or expiry."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from chalicelib.puppetdb.ingest import reports
from chalicelib.puppetdb.nodes import NODE_FIELDS
from chalicelib.query.ast import EVERYTHING, Compare, In, IsNull, Match, Not, all_of

FIXTURES = Path(__file__).parent.parent / "fixtures" / "puppetdb"
RECEIVED = "2026-11-24T00:00:00.000000Z"
ORDER = (("certname", "asc"),)


def _body(n: int = 1) -> dict:
    return json.loads((FIXTURES / f"store_report_v8_{n}.json").read_text())["body"]


def report(certname="web1.example", at="2026-11-22T05:00:00.000Z", *, fixture=1,
           environment="production", statuses=None, **fields):
    """A v8 report of fixture `fixture` for `certname`, produced and ended at `at`,
    optionally with one resource per status in `statuses` instead of its own."""
    body = copy.deepcopy(_body(fixture))
    body.update(certname=certname, producer_timestamp=at, end_time=at,
                environment=environment, **fields)
    if statuses is not None:
        template = body["resources"][0]
        body["resources"] = []
        for i, status in enumerate(statuses):
            resource = copy.deepcopy(template)
            resource["resource_title"] = f"r{i}"
            resource["skipped"] = status == "skipped"
            resource["events"] = [] if status == "skipped" else [
                {**template["events"][0], "status": status}] if template["events"] else []
            body["resources"].append(resource)
    return reports.from_v8(body, RECEIVED)


def nodes(store, where=EVERYTHING, order=ORDER, offset=0, limit=None):
    return store.find_nodes(where, order, offset, limit)


def node(store, certname):
    found = nodes(store, Compare("certname", "=", certname)).items
    return found[0] if found else None


def test_a_stored_report_makes_its_node_with_the_latest_report_summary(store):
    stored = report(statuses=["success", "success", "failure", "noop", "skipped"],
                    job_id="42", status="failed", noop=False, noop_pending=True,
                    cached_catalog_status="not_used")
    store.store_report(stored)
    found = node(store, "web1.example")
    assert set(found) == set(NODE_FIELDS)
    assert found["latest_report_hash"] == stored.hash
    assert (found["latest_report_status"], found["latest_report_noop"],
            found["latest_report_noop_pending"], found["latest_report_job_id"]) == \
        ("failed", False, True, "42")
    assert found["cached_catalog_status"] == "not_used"
    assert found["report_environment"] == "production"
    # PuppetDB's report_timestamp is the latest report's end time (engine.clj nodes-query).
    assert found["report_timestamp"] == stored.summary["end_time"]
    assert found["latest_report_producer_timestamp"] == stored.summary["producer_timestamp"]
    assert (found["successes"], found["failures"], found["noops"], found["skips"]) == (2, 1, 1, 1)
    assert found["deactivated"] is None and found["expired"] is None


def test_a_later_report_moves_the_summary_forward(store):
    store.store_report(report(at="2026-11-22T05:00:00.000Z", statuses=["failure"], status="failed"))
    later = report(at="2026-11-22T05:30:00.000Z", statuses=["success", "success"],
                   status="changed")
    store.store_report(later)
    found = node(store, "web1.example")
    assert (found["latest_report_hash"], found["latest_report_status"]) == (later.hash, "changed")
    assert (found["successes"], found["failures"]) == (2, 0)


def test_an_older_report_arriving_later_does_not_move_the_summary(store):
    newer = report(at="2026-11-22T05:30:00.000Z", statuses=["success"], status="changed")
    store.store_report(newer)
    store.store_report(report(at="2026-11-22T05:00:00.000Z", statuses=["failure"] * 3,
                              status="failed", environment="staging"))
    found = node(store, "web1.example")
    assert (found["latest_report_hash"], found["latest_report_status"]) == (newer.hash, "changed")
    assert (found["failures"], found["successes"], found["report_environment"]) == \
        (0, 1, "production")


def test_on_equal_producer_times_the_smaller_hash_is_the_summary_in_either_arrival_order(store):
    one = report(at="2026-11-22T05:00:00.000Z", statuses=["success"], transaction_uuid="a")
    two = report(at="2026-11-22T05:00:00.000Z", statuses=["failure"], transaction_uuid="b")
    smaller, larger = sorted((one, two), key=lambda r: r.hash)
    store.store_report(larger)
    store.store_report(smaller)
    store.store_report(report("web2.example", at="2026-11-22T05:00:00.000Z",
                              statuses=["success"], transaction_uuid="b"))
    assert node(store, "web1.example")["latest_report_hash"] == smaller.hash


def test_null_fields_of_the_new_latest_report_replace_the_old_values(store):
    store.store_report(report(at="2026-11-22T05:00:00.000Z", job_id="7"))
    store.store_report(report(at="2026-11-22T05:30:00.000Z", job_id=None))
    assert node(store, "web1.example")["latest_report_job_id"] is None


def test_a_report_stored_twice_counts_its_events_once(store):
    stored = report(statuses=["success", "failure"])
    assert store.store_report(stored)
    assert not store.store_report(stored)
    found = node(store, "web1.example")
    assert (found["successes"], found["failures"]) == (1, 1)


def test_nodes_filter_order_and_page_over_the_summaries(store):
    store.store_report(report("a.example", statuses=["failure"], status="failed"))
    store.store_report(report("b.example", statuses=["success"], status="changed"))
    store.store_report(report("c.example", statuses=["failure"], status="failed",
                              at="2026-11-22T05:10:00.000Z"))
    failed = nodes(store, Compare("latest_report_status", "=", "failed"))
    assert [n["certname"] for n in failed.items] == ["a.example", "c.example"]
    assert failed.total == 2
    by_time = nodes(store, order=(("report_timestamp", "desc"), ("certname", "asc")),
                    offset=1, limit=1)
    assert [n["certname"] for n in by_time.items] == ["a.example"] and by_time.total == 3
    assert [n["certname"] for n in nodes(store, Match("certname", "^[bc]")).items] == \
        ["b.example", "c.example"]
    assert [n["certname"] for n in nodes(store, In("certname", ("c.example", "x"))).items] == \
        ["c.example"]
    assert [n["certname"] for n in nodes(store, all_of(
        Compare("failures", ">", 0), Not(Compare("certname", "=", "a.example")))).items] == \
        ["c.example"]


def test_an_unknown_certname_finds_no_node(store):
    assert node(store, "nowhere.example") is None
    assert nodes(store).total == 0


def test_deactivation_marks_the_node_and_keeps_its_summary(store):
    stored = report(at="2026-11-22T05:00:00.000Z")
    store.store_report(stored)
    assert store.deactivate_node("web1.example", "2026-11-22T06:00:00.000000Z")
    found = node(store, "web1.example")
    assert found["deactivated"] == "2026-11-22T06:00:00.000000Z"
    assert found["latest_report_hash"] == stored.hash
    assert [n["certname"] for n in nodes(store, IsNull("deactivated", False)).items] == \
        ["web1.example"]


def test_deactivating_before_the_latest_report_is_stale_and_changes_nothing(store):
    store.store_report(report(at="2026-11-22T05:00:00.000Z"))
    assert not store.deactivate_node("web1.example", "2026-11-22T04:00:00.000000Z")
    assert node(store, "web1.example")["deactivated"] is None


def test_a_later_deactivation_is_kept_over_an_earlier_one(store):
    store.store_report(report(at="2026-11-22T05:00:00.000Z"))
    assert store.deactivate_node("web1.example", "2026-11-22T07:00:00.000000Z")
    assert store.deactivate_node("web1.example", "2026-11-22T06:00:00.000000Z")
    assert node(store, "web1.example")["deactivated"] == "2026-11-22T07:00:00.000000Z"
    assert store.deactivate_node("web1.example", "2026-11-22T08:00:00.000000Z")
    assert node(store, "web1.example")["deactivated"] == "2026-11-22T08:00:00.000000Z"


def test_deactivating_an_unknown_node_makes_a_deactivated_node_without_a_report(store):
    assert store.deactivate_node("ghost.example", "2026-11-22T06:00:00.000000Z")
    found = node(store, "ghost.example")
    assert found["deactivated"] == "2026-11-22T06:00:00.000000Z"
    assert found["latest_report_hash"] is None and found["latest_report_status"] is None
    # latest_report? stays two-valued with a node that has no latest report
    assert store.find_reports(Not(Compare("latest_report", "=", True)), (("hash", "asc"),),
                              0, None).items == []
    stored = report("ghost.example", at="2026-11-22T05:00:00.000Z")
    store.store_report(stored)      # older than the deactivation: stays deactivated
    found = node(store, "ghost.example")
    assert found["deactivated"] == "2026-11-22T06:00:00.000000Z"
    assert found["latest_report_hash"] == stored.hash


def test_a_report_produced_after_the_deactivation_reactivates_the_node(store):
    store.store_report(report(at="2026-11-22T05:00:00.000Z"))
    store.deactivate_node("web1.example", "2026-11-22T06:00:00.000000Z")
    store.store_report(report(at="2026-11-22T06:00:00.000Z"))        # the same time: not after
    assert node(store, "web1.example")["deactivated"] is not None
    later = report(at="2026-11-22T06:30:00.000Z")
    store.store_report(later)
    found = node(store, "web1.example")
    assert found["deactivated"] is None and found["latest_report_hash"] == later.hash


def test_expiry_marks_a_stale_active_node_and_a_later_report_clears_it(store):
    store.store_report(report("old.example", at="2026-11-22T05:00:00.000Z"))
    store.store_report(report("new.example", at="2026-11-22T07:00:00.000Z"))
    assert store.expire_node("old.example", "2026-11-23T00:00:00.000000Z",
                             "2026-11-22T06:00:00.000000Z")
    assert not store.expire_node("new.example", "2026-11-23T00:00:00.000000Z",
                                 "2026-11-22T06:00:00.000000Z")
    assert not store.expire_node("unknown.example", "2026-11-23T00:00:00.000000Z",
                                 "2026-11-22T06:00:00.000000Z")
    assert node(store, "old.example")["expired"] == "2026-11-23T00:00:00.000000Z"
    assert [n["certname"] for n in nodes(store, IsNull("expired", True)).items] == \
        ["new.example"]
    store.store_report(report("old.example", at="2026-11-23T01:00:00.000Z"))
    assert node(store, "old.example")["expired"] is None


def test_environments_are_those_of_stored_reports(store):
    assert store.find_environments(EVERYTHING, (("name", "asc"),), 0, None).items == []
    store.store_report(report("a.example", environment="production"))
    store.store_report(report("b.example", environment="staging"))
    store.store_report(report("c.example", environment="production"))
    store.store_report(report("a.example", environment="dev", at="2026-11-21T05:00:00.000Z"))
    page = store.find_environments(EVERYTHING, (("name", "asc"),), 0, None)
    assert [e["name"] for e in page.items] == ["dev", "production", "staging"]
    assert page.total == 3
    one = store.find_environments(Compare("name", "=", "staging"), (("name", "asc"),), 0, None)
    assert one.items == [{"name": "staging"}]
    last = store.find_environments(EVERYTHING, (("name", "desc"),), 0, 1)
    assert last.items == [{"name": "staging"}] and last.total == 3


@pytest.mark.parametrize("certname_test", [Compare("certname", "=", "b.example"),
                                           In("certname", ("b.example",))])
def test_a_named_node_is_read_by_key(store, certname_test):
    store.store_report(report("a.example"))
    store.store_report(report("b.example", statuses=["failure"]))
    found = nodes(store, all_of(certname_test, Compare("failures", "=", 1))).items
    assert [n["certname"] for n in found] == ["b.example"]
