"""The three executions of the common AST agree: the reference evaluator, SQL on
SQLite, and DynamoDB (moto) key conditions + filter expressions + residual.
Generated records and generated queries (hypothesis)."""
from __future__ import annotations

import json
import sqlite3

import boto3
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from moto import mock_aws

from chalicelib.query import evaluate, sql
from chalicelib.query.ast import And, Compare, Contains, In, IsNull, Match, Not, Or
from chalicelib.query.dynamodb import AccessPath, plan
from chalicelib.storage.dynamodb.codec import to_item
from chalicelib.storage.dynamodb.runner import Runner
from chalicelib.storage.dynamodb.tables import Index, TableSpec
from chalicelib.storage.sqlite.connection import _regexp

GROUPS = ["alpha", "beta", "gamma"]
WORDS = ["web", "db", "web01", "db-02", "ok", "Fail", ""]
TIMES = [f"2024-01-0{d}T0{h}:00:00.000000Z" for d in (1, 2) for h in (0, 5)]
PATTERN = st.sampled_from(["^web", "0[12]$", "b", "^$", "[A-Z]", "(a|e)"])

SPEC = TableSpec(name="things", indexes=(Index("by-group", ("group_key", "S"), ("group_sort", "S")),))
PATHS = (AccessPath("by-group", "by-group", "group_key", ("group",), "G#{group}",
                    "group_sort", "ts"),)
ATTRIBUTES = {f: f for f in ("group", "name", "n", "ts", "tags", "flag")}
ARRAYS = frozenset({"tags"})
COLUMNS = {"group": "grp", "name": "name", "n": "n", "ts": "ts", "flag": "flag",
           "tags": sql.Column("tags", "array")}

records = st.lists(st.fixed_dictionaries({
    "group": st.sampled_from(GROUPS),
    "name": st.none() | st.sampled_from(WORDS),
    "n": st.none() | st.integers(-3, 3),
    "ts": st.sampled_from(TIMES),
    "tags": st.none() | st.lists(st.sampled_from(WORDS), max_size=3),
    "flag": st.booleans(),
}), max_size=12)


def leaves():
    return st.one_of(
        st.builds(Compare, st.just("group"), st.just("="), st.sampled_from(GROUPS)),
        st.builds(Compare, st.just("name"), st.sampled_from(["=", "<", ">="]), st.sampled_from(WORDS)),
        st.builds(Compare, st.just("n"), st.sampled_from(["=", "<", "<=", ">", ">="]), st.integers(-3, 3)),
        st.builds(Compare, st.just("ts"), st.sampled_from(["<", "<=", ">", ">="]), st.sampled_from(TIMES)),
        st.builds(Compare, st.just("tags"), st.just("="), st.sampled_from(WORDS)),
        st.builds(Compare, st.just("flag"), st.just("="), st.booleans()),
        st.builds(In, st.sampled_from(["group", "name"]),
                  st.lists(st.sampled_from(GROUPS + WORDS), min_size=1, max_size=3).map(tuple)),
        st.builds(Match, st.sampled_from(["name", "tags"]), PATTERN),
        st.builds(Contains, st.just("name"), st.sampled_from(["eb", "0", "-", "x"])),
        st.builds(IsNull, st.sampled_from(["name", "n", "tags"]), st.booleans()),
    )


queries = st.recursive(leaves(), lambda inner: st.one_of(
    st.lists(inner, min_size=1, max_size=3).map(lambda t: And(tuple(t))),
    st.lists(inner, min_size=1, max_size=3).map(lambda t: Or(tuple(t))),
    inner.map(Not)), max_leaves=6)


def run_sqlite(rows, node):
    conn = sqlite3.connect(":memory:")
    conn.create_function("regexp", 2, _regexp, deterministic=True)
    conn.execute("CREATE TABLE t (id INTEGER, grp TEXT, name TEXT, n INTEGER, ts TEXT, tags TEXT, flag INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", [
        (i, r["group"], r["name"], r["n"], r["ts"], None if r["tags"] is None else json.dumps(r["tags"]),
         int(r["flag"])) for i, r in enumerate(rows)])
    clause, params = sql.where(node, COLUMNS)
    return {i for (i,) in conn.execute(f"SELECT id FROM t WHERE {clause}", params)}


def run_dynamodb(client, rows, node):
    for page in client.get_paginator("scan").paginate(TableName="test-things"):
        for item in page["Items"]:
            client.delete_item(TableName="test-things", Key={"PK": item["PK"], "SK": item["SK"]})
    for i, r in enumerate(rows):
        client.put_item(TableName="test-things", Item=to_item({
            "PK": f"THING#{i}", "SK": "THING", "id": i, "group_key": f"G#{r['group']}",
            "group_sort": f"{r['ts']}#{i:06d}", **{k: v for k, v in r.items()}}))
    chosen = plan(node, PATHS, ATTRIBUTES, ARRAYS)
    runner = Runner(client, "test-things", ATTRIBUTES, ARRAYS)
    found = {r["id"] for r in runner.records(chosen, order_key=lambda r: r["group_sort"])}
    return found, chosen


@pytest.fixture(scope="module")
def dynamodb():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**SPEC.create_arguments("test-"))
        yield client


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=records, node=queries)
def test_sql_and_dynamodb_agree_with_the_evaluator(dynamodb, rows, node):
    expected = {i for i, r in enumerate(rows) if evaluate.matches(node, r)}
    assert run_sqlite(rows, node) == expected
    found, chosen = run_dynamodb(dynamodb, rows, node)
    assert found == expected, chosen


def test_a_group_equality_becomes_a_key_condition_not_a_scan():
    chosen = plan(And((Compare("group", "=", "beta"), Compare("ts", ">", TIMES[1]), Match("name", "^w"))),
                  PATHS, ATTRIBUTES, ARRAYS)
    (query,) = chosen.queries
    assert query.hash_value == "G#beta" and query.lower == TIMES[1] + "~"
    assert chosen.filter is None and chosen.residual == Match("name", "^w")


def test_an_or_of_keyed_branches_is_a_union_of_queries():
    chosen = plan(Or((Compare("group", "=", "alpha"), In("group", ("beta", "gamma")))), PATHS, ATTRIBUTES)
    assert sorted(q.hash_value for q in chosen.queries) == ["G#alpha", "G#beta", "G#gamma"]


def test_an_unkeyed_query_falls_back_to_a_scan():
    assert plan(Compare("name", "=", "web"), PATHS, ATTRIBUTES).is_scan


def test_sql_orders_nulls_after_values_like_the_evaluator():
    rows = [{"name": None}, {"name": "b"}, {"name": "a"}]
    assert [r["name"] for r in evaluate.sort(rows, [("name", "asc")])] == ["a", "b", None]
    assert [r["name"] for r in evaluate.sort(rows, [("name", "desc")])] == [None, "b", "a"]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (name TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(r["name"],) for r in rows])
    for direction, expected in (("asc", ["a", "b", None]), ("desc", [None, "b", "a"])):
        order = sql.order_by([("name", direction)], {"name": "name"})
        assert [n for (n,) in conn.execute(f"SELECT name FROM t ORDER BY {order}")] == expected
