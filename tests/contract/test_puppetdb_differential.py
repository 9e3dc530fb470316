"""Differential tests: random reports and random well-formed PuppetDB queries give the
same ordered results on SQLite, DynamoDB (moto) and the reference evaluator."""
from __future__ import annotations

import random

import boto3
import pytest
from hypothesis import given, settings, strategies as st
from moto import mock_aws

from chalicelib.puppetdb.dialects import v1_4
from chalicelib.puppetdb.ingest import reports
from chalicelib.puppetdb.catalogue import full_order
from chalicelib.query import evaluate
from chalicelib.storage.dynamodb import DynamoStorage
from chalicelib.storage.sqlite import SqliteStorage

CERTNAMES = ("a.example", "b.example", "c.example")
TIMES = tuple(f"2024-05-01T10:00:0{i}.000+02:00" for i in range(6))
STRINGS = {
    "status": ("success", "failure", "noop", "skipped"),
    "resource-type": ("File", "Notify", "Exec"),
    "resource-title": ("x", "y", "ab"),
    "property": ("ensure", "message"),
    "message": ("created", "changed b"),
    "file": ("site.pp", "b.pp"),
    "containing-class": ("Foo", "Main"),
    "certname": CERTNAMES,
}
VALUES = ("a", 1, ["x"], {"k": "v"}, "absent")
PATTERNS = ("a", "^b", "e$", ".", "x|y", "^$")
PATHS = (None, [], ["Stage[main]", "Main", "File[x]"], ["Foo", "", "Bar[Baz]"])


def _maybe(values):
    return st.sampled_from((None,) + tuple(values))


event_bodies = st.fixed_dictionaries({
    "status": st.sampled_from(STRINGS["status"][:3]), "timestamp": st.sampled_from(TIMES),
    "property": _maybe(STRINGS["property"]), "new_value": _maybe(VALUES),
    "old_value": _maybe(VALUES), "message": _maybe(STRINGS["message"]),
})
resources = st.fixed_dictionaries({
    "skipped": st.booleans(), "timestamp": st.sampled_from(TIMES),
    "resource_type": st.sampled_from(STRINGS["resource-type"]),
    "resource_title": st.sampled_from(STRINGS["resource-title"]),
    "file": _maybe(STRINGS["file"]), "line": _maybe((1, 2)),
    "containment_path": st.sampled_from(PATHS),
    "events": st.lists(event_bodies, max_size=3),
})
report_bodies = st.fixed_dictionaries({
    "certname": st.sampled_from(CERTNAMES), "configuration_version": _maybe(("c1", "c2")),
    "producer_timestamp": st.sampled_from(TIMES), "start_time": st.sampled_from(TIMES),
    "end_time": st.sampled_from(TIMES), "transaction_uuid": st.uuids().map(str),
    "puppet_version": st.just("7.28.0"), "report_format": st.just(12),
    "resources": st.lists(resources, max_size=4),
})

leaves = st.one_of(
    st.sampled_from(sorted(STRINGS)).flatmap(
        lambda f: st.tuples(st.just("="), st.just(f), st.sampled_from(STRINGS[f])).map(list)),
    st.tuples(st.just("~"), st.sampled_from(sorted(STRINGS)), st.sampled_from(PATTERNS)).map(list),
    st.tuples(st.just("="), st.just("line"), st.sampled_from((1, 2))).map(list),
    st.tuples(st.just("="), st.sampled_from(("new-value", "old-value")), st.sampled_from(VALUES)).map(list),
    st.tuples(st.sampled_from(("<", "<=", ">", ">=")), st.just("timestamp"),
              st.sampled_from(TIMES)).map(list),
    st.tuples(st.just("="), st.just("latest-report"), st.booleans()).map(list),
)
queries = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, min_size=1, max_size=3).map(lambda ts: ["and", *ts]),
    st.lists(inner, min_size=1, max_size=3).map(lambda ts: ["or", *ts]),
    inner.map(lambda t: ["not", t])), max_leaves=5)
orders = st.lists(st.tuples(st.sampled_from(("line", "file", "new_value", "status", "timestamp")),
                            st.sampled_from(("asc", "desc"))), max_size=2, unique_by=lambda k: k[0])


def _reference(stored, where, order):
    latest: dict[str, reports.Report] = {}
    for report in stored:       # the first of equal keys stays latest, as in the adapters
        if report.certname not in latest or report.latest_key > latest[report.certname].latest_key:
            latest[report.certname] = report
    hashes = {r.hash for r in latest.values()}
    records = [{**e, "latest_report": r.hash in hashes} for r in stored for e in r.events]
    found, _ = evaluate.select(where, records, order)
    return [(e["report"], e["seq"]) for e in found]


def _stores(prefix):
    dynamo = DynamoStorage(prefix, client=boto3.client("dynamodb", region_name="us-east-1"))
    dynamo.create_tables()
    return dynamo


def _check(sqlite, dynamo, stored, term, keys):
    where, order = v1_4.parse(term), full_order(keys)
    expected = _reference(stored, where, order)
    for store in (sqlite, dynamo):
        page = store.find_events(where, order, 0, None)
        assert [(e["report"], e["seq"]) for e in page.items] == expected, (type(store), term)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(bodies=st.lists(report_bodies, min_size=1, max_size=4), term=queries, keys=orders)
def test_random_reports_and_queries_agree_on_every_execution(tmp_path_factory, bodies, term, keys):
    stored, seen = [], set()
    for body in bodies:
        report = reports.from_v8(body)
        if report.hash not in seen:
            seen.add(report.hash)
            stored.append(report)
    with mock_aws():
        dynamo = _stores("diff-")
        sqlite = SqliteStorage(str(tmp_path_factory.mktemp("diff") / "events.db"))
        for report in stored:
            sqlite.store_report(report)
            dynamo.store_report(report)
        _check(sqlite, dynamo, stored, term, keys)
        sqlite.close()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(term=queries, keys=orders)
def test_random_queries_over_one_random_data_set_agree(fixed_data, term, keys):
    _check(*fixed_data, term, keys)


@pytest.fixture(scope="module")
def fixed_data(tmp_path_factory):
    stored = [reports.from_v8(b) for b in _fixed_bodies()]
    with mock_aws():
        dynamo = _stores("fixed-")
        sqlite = SqliteStorage(str(tmp_path_factory.mktemp("fixed") / "events.db"))
        for report in stored:
            sqlite.store_report(report)
            dynamo.store_report(report)
        yield sqlite, dynamo, stored
        sqlite.close()


def _fixed_bodies():
    """A deterministic random data set (seeded), so the query test explores queries only."""
    rng = random.Random(4)
    choice = rng.choice

    def maybe(values):
        return choice((None,) + tuple(values))
    bodies = []
    for index in range(8):
        bodies.append({
            "certname": choice(CERTNAMES), "configuration_version": maybe(("c1", "c2")),
            "producer_timestamp": choice(TIMES), "start_time": choice(TIMES), "end_time": choice(TIMES),
            "transaction_uuid": f"uuid-{index}", "puppet_version": "7.28.0", "report_format": 12,
            "resources": [{
                "skipped": rng.random() < 0.2, "timestamp": choice(TIMES),
                "resource_type": choice(STRINGS["resource-type"]),
                "resource_title": choice(STRINGS["resource-title"]),
                "file": maybe(STRINGS["file"]), "line": maybe((1, 2)), "containment_path": choice(PATHS),
                "events": [{"status": choice(STRINGS["status"][:3]), "timestamp": choice(TIMES),
                            "property": maybe(STRINGS["property"]), "new_value": maybe(VALUES),
                            "old_value": maybe(VALUES), "message": maybe(STRINGS["message"])}
                           for _ in range(rng.randint(0, 3))]}
                for _ in range(rng.randint(1, 5))],
        })
    return bodies
