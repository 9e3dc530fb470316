"""PuppetDB 1.4's event query cases (../shared/notes/puppetdb.md section 4, cases 1-19,
21) on both adapters. Results are sets of event ids E1-E6."""
from __future__ import annotations

import pytest

from chalicelib.puppetdb import demo, query
from chalicelib.puppetdb.model import full_order

T1, T2, T3 = ("2011-01-01T12:00:01-03:00", "2011-01-01T12:00:02-03:00",
              "2011-01-01T12:00:03-03:00")
ALL = {"E1", "E2", "E3"}
PATH = "^[Mm][\\w\\s]+"

# (query, expected ids) over B1 alone.
B1_CASES = [
    # 1
    (["=", "report", "B1"], ALL),
    # 2
    (["<", "timestamp", T3], {"E1", "E3"}),
    ([">", "timestamp", T1], {"E2", "E3"}),
    # 3
    (["and", [">", "timestamp", T1], ["<", "timestamp", T3]], {"E3"}),
    (["and", [">=", "timestamp", T1], ["<=", "timestamp", T3]], ALL),
    # 4
    (["=", "resource-type", "Notify"], ALL),
    (["=", "status", "success"], {"E1", "E2"}),
    (["=", "property", "message"], {"E1", "E2"}),
    (["=", "old-value", ["what", "the", "woah"]], {"E1"}),
    (["=", "new-value", "notify, yo"], {"E1"}),
    (["=", "new-value", {"absent": 5}], {"E2"}),
    (["=", "resource-title", "bunk"], set()),
    (["=", "certname", "bunk.remote"], set()),
    # 5
    (["=", "file", "foo.pp"], {"E1"}),
    (["=", "file", "bar"], {"E3"}),
    (["=", "line", 1], {"E1"}),
    (["=", "line", 2], {"E3"}),
    (["=", "containing-class", "Foo"], {"E3"}),
    # 6
    (["not", ["=", "resource-title", "notify, yo"]], {"E2", "E3"}),
    (["not", ["=", "status", "success"]], {"E3"}),
    # 7
    (["not", ["=", "property", "message"]], {"E3"}),
    (["not", ["=", "message", demo.DEFINED]], {"E3"}),
    (["not", ["=", "file", "foo.pp"]], {"E2", "E3"}),
    (["not", ["=", "line", 1]], {"E2", "E3"}),
    (["not", ["=", "old-value", ["what", "the", "woah"]]], {"E2", "E3"}),
    (["not", ["=", "containing-class", "Foo"]], {"E1", "E2"}),
    # 8
    (["~", "resource-type", "otify"], ALL),
    (["~", "resource-title", "^[Nn]otify,\\s*yo$"], {"E1"}),
    (["~", "status", "^.ucces."], {"E1", "E2"}),
    (["~", "property", PATH], {"E1", "E2"}),
    (["~", "certname", "^foo\\."], ALL),
    (["~", "certname", "^.*\\.mydomain\\.com$"], set()),
    # 9
    (["~", "file", ".*"], {"E1", "E3"}),
    (["~", "file", "\\.pp"], {"E1"}),
    (["~", "containing-class", "[fF]oo"], {"E3"}),
    # 10
    (["not", ["~", "file", ".*"]], {"E2"}),
    (["not", ["~", "property", PATH]], {"E3"}),
    (["not", ["~", "resource-type", "otify"]], set()),
    # 11
    (["or", ["=", "resource-title", "notify, yo"], ["=", "status", "skipped"]], {"E1", "E3"}),
    (["or", ["=", "resource-type", "bunk"], ["=", "resource-title", "notify, yar"]], {"E2"}),
    (["or", ["=", "resource-type", "bunk"], ["=", "status", "bunk"]], set()),
    (["or", ["=", "file", "foo.pp"], ["=", "line", 2]], {"E1", "E3"}),
    (["or", ["=", "new-value", "notify, yo"], ["=", "resource-title", "notify, yar"],
      ["=", "resource-title", "hi"]], ALL),
    # 12
    (["and", ["=", "resource-title", "notify, yo"], ["=", "status", "skipped"]], set()),
    (["and", ["=", "new-value", "notify, yo"], ["=", "resource-type", "Notify"],
      ["=", "certname", "foo.local"]], {"E1"}),
    (["and", ["=", "file", "foo.pp"], ["=", "line", 1]], {"E1"}),
    (["and", ["=", "containing-class", "Foo"]], {"E3"}),
    # 13-16
    (["and", ["or", ["=", "resource-title", "hi"], ["=", "resource-title", "notify, yo"]],
      ["=", "status", "success"]], {"E1"}),
    (["or", ["and", ["=", "resource-title", "hi"], ["=", "status", "success"]],
      ["and", ["=", "resource-type", "Notify"], ["=", "property", "message"]]], {"E1", "E2"}),
    (["or", ["and", ["=", "file", "foo.pp"], ["=", "line", 1]], ["=", "line", 2]], {"E1", "E3"}),
    (["and", ["=", "status", "success"], ["<", "timestamp", T2]], {"E1"}),
    (["or", ["=", "status", "skipped"], ["<", "timestamp", T2]], {"E1", "E3"}),
    # operators are case-insensitive
    (["AND", ["=", "status", "skipped"]], {"E3"}),
]

# Case 19: both reports stored; B2 is the latest.
LATEST_CASES = [
    (["=", "latest-report", True], {"E4", "E5", "E6"}),
    (["and", ["=", "resource-type", "File"], ["=", "latest-report", True]], {"E5", "E6"}),
    (["=", "latest-report", False], ALL),
    (["and", ["=", "status", "success"], ["=", "latest-report", False]], {"E1", "E2"}),
    (["or", ["and", ["=", "status", "skipped"], ["=", "latest-report", False]],
      ["and", ["=", "message", "created"], ["=", "latest-report", True]]], {"E3", "E5", "E6"}),
    (["=", "latest-report", "false"], {"E4", "E5", "E6"}),     # Clojure truthiness
    (["not", ["=", "latest-report", True]], ALL),
]


def _ids(reports, events) -> set[str]:
    names = {}
    for offset, report in zip((0, 3), reports):
        for event in report.events:
            names[(report.hash, event["seq"])] = f"E{offset + event['seq'] + 1}"
    return {names[(e["report"], e["seq"])] for e in events}


def _resolve(term, reports):
    """Put B1's real hash where a case says "B1"."""
    if isinstance(term, list):
        return [_resolve(t, reports) for t in term]
    return reports[0].hash if term == "B1" else term


def _run(store, reports, term):
    page = store.find_events(query.parse(_resolve(term, reports)), full_order(()), 0, None)
    return _ids(reports, page.items)


@pytest.mark.parametrize("term,expected", B1_CASES, ids=[str(c[0]) for c in B1_CASES])
def test_b1_query_returns_the_events_puppetdb_returns(store, term, expected):
    reports = demo.example_reports()
    store.store_report(reports[0])
    assert _run(store, reports, term) == expected


@pytest.mark.parametrize("term,expected", LATEST_CASES, ids=[str(c[0]) for c in LATEST_CASES])
def test_latest_report_selects_the_report_with_the_greatest_end_time(store, term, expected):
    reports = demo.example_reports()
    for report in reversed(reports):        # stored out of order: the key decides
        store.store_report(report)
    assert _run(store, reports, term) == expected


def test_storing_the_same_report_twice_stores_it_once(store):
    b1, _ = demo.example_reports()
    assert store.store_report(b1) is True
    assert store.store_report(b1) is False
    assert store.find_events(query.parse(["=", "certname", "foo.local"]), full_order(()),
                             0, None).total == 3


def test_default_order_is_timestamp_descending(store):
    b1, _ = demo.example_reports()
    store.store_report(b1)
    page = store.find_events(query.parse(["=", "certname", "foo.local"]), full_order(()), 0, None)
    assert [e["seq"] for e in page.items] == [1, 2, 0]


def test_pages_cover_every_event_once_and_total_counts_before_paging(store):
    b1, _ = demo.example_reports()
    store.store_report(b1)
    where = query.parse(["=", "report", b1.hash])
    pages = [store.find_events(where, full_order(()), offset, 1) for offset in (0, 1, 2)]
    assert all(len(p.items) == 1 and p.total == 3 for p in pages)
    assert sorted(p.items[0]["seq"] for p in pages) == [0, 1, 2]


def test_order_by_a_nullable_field_puts_nulls_last_ascending(store):
    b1, _ = demo.example_reports()
    store.store_report(b1)
    where = query.parse(["=", "report", b1.hash])
    ascending = store.find_events(where, full_order([("line", "asc")]), 0, None).items
    descending = store.find_events(where, full_order([("line", "desc")]), 0, None).items
    assert [e["line"] for e in ascending] == [1, 2, None]
    assert [e["line"] for e in descending] == [None, 2, 1]


def test_events_carry_report_fields_and_utc_timestamps(store):
    b1, _ = demo.example_reports()
    store.store_report(b1)
    page = store.find_events(query.parse(["=", "resource-title", "hi"]), full_order(()), 0, None)
    (event,) = page.items
    assert event["report"] == b1.hash
    assert event["configuration_version"] == "a81jasj123"
    assert event["timestamp"].startswith("2011-01-01T15:00:02.000")
    assert event["containing_class"] == "Foo"
    assert event["property"] is None and event["new_value"] is None
