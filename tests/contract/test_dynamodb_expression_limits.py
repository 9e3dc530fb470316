"""DynamoDB's expression limits (4 KB a string, 300 operators, 100 operands to IN),
which moto does not enforce and tests/conftest.py does on every call: a query whose
filter would pass them keeps the rest of its test in Python, and answers as SQLite.

`latest_report?` under `not` or `or` cannot key the read: it becomes a membership test
on one hash per node, past 4 KB from about 580 nodes."""
from __future__ import annotations

import json

import pytest
from moto import mock_aws

from bench.fleet import fleet_reports
from chalicelib.puppetdb import queries
from chalicelib.puppetdb.catalogue import EVENTS, REPORTS
from chalicelib.puppetdb.dialects import v4
from chalicelib.query.ast import And, Compare, In, Not
from chalicelib.query.dynamodb import (MAX_EXPRESSION_BYTES, MAX_OPERATORS, compile_filter,
                                       operator_count, split)
from tests.conftest import ADAPTERS, expression_limit_broken, make_store

NODES = 650
RERUN = 5           # every fifth node runs twice, so its first report is not its latest
ATTRIBUTES = {"report": "report", "status": "status"}


def test_a_membership_test_past_4_kb_is_left_to_python():
    hashes = tuple(f"{n:040x}" for n in range(NODES))
    status = Compare("status", "=", "success")
    expressible, residual = split(And((Not(In("report", hashes)), status)), ATTRIBUTES)
    assert expressible == status and residual == Not(In("report", hashes))


def test_conjuncts_past_300_operators_spill_to_python_in_order():
    terms = tuple(Compare("status", "=", f"s{n}") for n in range(200))
    expressible, residual = split(And(terms), ATTRIBUTES)
    text = compile_filter(expressible, ATTRIBUTES).text
    assert operator_count(text) <= MAX_OPERATORS and len(text.encode()) <= MAX_EXPRESSION_BYTES
    assert expressible.terms + residual.terms == terms and residual.terms


def test_a_filter_within_the_limits_is_kept_whole():
    node = And((In("report", ("a", "b")), Compare("status", "=", "failure")))
    assert split(node, ATTRIBUTES) == (node, None)


def test_the_test_client_refuses_what_dynamodb_refuses():
    assert expression_limit_broken({"FilterExpression": "#a = :v" + " " * 4096})
    assert expression_limit_broken({"FilterExpression": "#a IN (" + ", ".join(f":v{n}" for n in range(101)) + ")"})
    assert expression_limit_broken({"TransactItems": [{"Update": {"UpdateExpression": " AND ".join(["#a = :v"] * 151)}}]})
    assert expression_limit_broken({"FilterExpression": " AND ".join(["#a = :v"] * 150)}) is None


@pytest.fixture(scope="module")
def fleets(tmp_path_factory):
    with mock_aws():
        stores = {adapter: make_store(adapter, tmp_path_factory.mktemp(adapter)) for adapter in ADAPTERS}
        latest: dict = {}
        for report in fleet_reports(NODES, 2, 1, rerun_every=RERUN):
            latest[report.certname] = report.hash
            for store in stores.values():
                store.store_report(report)
        yield stores, set(latest.values())


# (entity, query, whether the answer holds every latest report or none of them)
OUTSIDE_A_CONJUNCT = [
    ("events", ["and", ["not", ["=", "latest_report?", True]], ["=", "status", "success"]], False),
    ("events", ["or", ["=", "latest_report?", True], ["=", "status", "failure"]], True),
    ("reports", ["not", ["=", "latest_report?", True]], False),
    ("reports", ["or", ["=", "latest_report?", True], ["=", "status", "failed"]], True),
]


@pytest.mark.parametrize("entity, query, holds_latest", OUTSIDE_A_CONJUNCT,
                         ids=[f"{e}-{q[0]}" for e, q, _ in OUTSIDE_A_CONJUNCT])
def test_latest_report_under_not_or_or_answers_alike_at_fleet_size(fleets, entity, query,
                                                                   holds_latest):
    stores, latest = fleets
    if entity == "events":
        request = v4.parse_request({"query": json.dumps(query)}, None, EVENTS, v4.EVENTS_PARAMS)
        answers = {a: list(queries.events(stores[a], request, 10 ** 6).items) for a in ADAPTERS}
    else:
        request = v4.parse_request({"query": json.dumps(query), "order_by": '[{"field": "hash"}]'},
                                   None, REPORTS, v4.REPORTS_PARAMS)
        answers = {a: list(queries.reports(stores[a], request).items) for a in ADAPTERS}
    assert answers["dynamodb"] and answers["sqlite"] == answers["dynamodb"]
    key = "report" if entity == "events" else "hash"
    found = {row[key] for row in answers["dynamodb"]}
    assert latest <= found if holds_latest else not found & latest
