"""PuppetDB 1.4's event query cases (../shared/notes/puppetdb.md section 4, cases 1-19,
21) on both adapters. Results are sets of event ids E1-E6."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from chalicelib.puppetdb import demo
from chalicelib.puppetdb.dialects import v1_4
from chalicelib.storage.dynamodb import DynamoStorage
from chalicelib.storage.sqlite import SqliteStorage
from chalicelib.puppetdb.catalogue import full_order

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
    page = store.find_events(v1_4.parse(_resolve(term, reports)), full_order(()), 0, None)
    return _ids(reports, page.items)


@pytest.fixture(scope="module", params=("sqlite", "dynamodb"))
def loaded(request, tmp_path_factory):
    """Read-only cases share one store per adapter: (store with B1, store with B1+B2)."""
    reports = demo.example_reports()

    def fill(b1_only, b1_and_b2):
        b1_only.store_report(reports[0])
        for report in reversed(reports):        # stored out of order: the key decides
            b1_and_b2.store_report(report)
        return b1_only, b1_and_b2

    if request.param == "dynamodb":
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            stores = [DynamoStorage(prefix, client=client) for prefix in ("one-", "two-")]
            for each in stores:
                each.create_tables()
            yield fill(*stores)
    else:
        directory = tmp_path_factory.mktemp("pdb")
        stores = [SqliteStorage(str(directory / name)) for name in ("one.db", "two.db")]
        yield fill(*stores)
        for each in stores:
            each.close()


@pytest.mark.parametrize("term,expected", B1_CASES, ids=[str(c[0]) for c in B1_CASES])
def test_b1_query_returns_the_events_puppetdb_returns(loaded, term, expected):
    assert _run(loaded[0], demo.example_reports(), term) == expected


@pytest.mark.parametrize("term,expected", LATEST_CASES, ids=[str(c[0]) for c in LATEST_CASES])
def test_latest_report_selects_the_report_with_the_greatest_end_time(loaded, term, expected):
    assert _run(loaded[1], demo.example_reports(), term) == expected
