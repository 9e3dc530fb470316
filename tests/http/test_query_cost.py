"""Every query has a bounded cost (issue 20, items 2 and 3; docs/security.md,
"Query cost"): the static caps answer a 400 naming the limit in every dialect,
before anything runs, and the read budget answers a 503 "too expensive", in
each API's format and on both adapters. Nothing here is timed: the budgets are
set tiny and the clock is made to jump."""
from __future__ import annotations

import itertools
import json
from urllib.parse import urlencode

import pytest

from chalicelib.puppetdb.ingest import reports
from chalicelib.query import budget
from chalicelib.storage.sqlite import connection
from tests.activity_factories import add, commit
from tests.factories import new_job
from tests.http.test_puppetdb_v4_api import FIXTURES, _body

LONG_PATTERN = "a" * 1000
JSON = {"Content-Type": "application/json"}


def _compact(value) -> str:
    """As the issue's inputs were sent: ["or", 1000 x ["=","line",1]] is 15 KB."""
    return json.dumps(value, separators=(",", ":"))


@pytest.fixture
def stored(client):
    """Two fixture reports and three commits in the store of this parametrisation."""
    for fixture in FIXTURES[:2]:
        client.store.store_report(reports.from_v8(_body(fixture)))
    add(client.store, *(commit(objects=(("node_groups", str(i)),)) for i in range(3)))
    return client


def _experimental(query) -> str:
    return "/experimental/events?" + urlencode({"query": _compact(query)})


def _v4_get(query, path: str = "events", **params) -> str:
    return f"/pdb/query/v4/{path}?" + urlencode({"query": _compact(query), **params})


def _v4_post(client, body: dict, path: str = "events"):
    return client.http.post(f"/pdb/query/v4/{path}", headers=JSON, body=_compact(body))


def _puppetdb_answers(client, query) -> list:
    """The same query in every PuppetDB dialect: 1.4, v4 GET, v4 POST."""
    return [client.http.get(_experimental(query)), client.http.get(_v4_get(query)),
            _v4_post(client, {"query": query})]


def _plain_400(response, text: bytes) -> None:
    assert response.status_code == 400, response.body
    assert response.headers["Content-Type"].startswith("text/plain")
    assert text in response.body, response.body


def _activity_400(response, parameter, text: str) -> None:
    body = json.loads(response.body)
    assert response.status_code == 400, body
    assert body["kind"] == "puppetlabs.activity/invalid-parameter"
    assert body["details"]["parameter"] == parameter
    assert text in body["msg"]


# ------------------------------------------------------- item 2: shapes, each a 400

def test_fifteen_long_regexes_are_refused_by_the_regex_cap(stored):
    query = ["or"] + [["~", "resource-title", LONG_PATTERN]] * 15
    response = stored.http.get(_experimental(query))
    _plain_400(response, b"The query has 15 regular expressions; the limit is 8 "
                         b"(EVENTS_MAX_QUERY_REGEXES)")
    v4 = ["or"] + [["~", "resource_title", LONG_PATTERN]] * 15
    for response in (stored.http.get(_v4_get(v4)), _v4_post(stored, {"query": v4})):
        _plain_400(response, b"15 regular expressions; the limit is 8")


def test_an_or_of_a_thousand_equalities_is_a_400_in_every_puppetdb_dialect(stored):
    for response in _puppetdb_answers(stored, ["or"] + [["=", "line", 1]] * 1000):
        _plain_400(response, b"The query has 1000 alternatives in one 'or'; the limit is 100 "
                             b"(EVENTS_MAX_QUERY_WIDTH)")


def test_an_or_at_the_width_cap_answers_on_both_adapters(stored):
    """The cap's own width runs: SQLite once failed at 1000 ORs with 'Expression tree
    is too large'; the compiler now makes an `or` of equalities one IN list."""
    lines = list(range(40, 140))
    for response in _puppetdb_answers(stored, ["or"] + [["=", "line", n] for n in lines]):
        assert response.status_code == 200, response.body
        assert {e["line"] for e in json.loads(response.body)} <= set(lines)


def test_an_in_wider_than_the_cap_is_a_400_in_v4(stored):
    query = ["in", "line", ["array", list(range(101))]]
    for response in (stored.http.get(_v4_get(query)), _v4_post(stored, {"query": query})):
        _plain_400(response, b"The query has 101 values in one 'in'; the limit is 100")


def test_terms_over_the_cap_are_a_400(stored, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_QUERY_TERMS", "10")
    query = ["and", ["or"] + [["=", "line", n] for n in range(6)],
             ["or"] + [["=", "certname", str(n)] for n in range(6)]]
    for response in _puppetdb_answers(stored, query):
        _plain_400(response, b"The query has 12 terms; the limit is 10 (EVENTS_MAX_QUERY_TERMS)")


def test_an_activity_v1_id_list_wider_than_the_cap_is_a_400(stored):
    ids = ",".join(str(i) for i in range(1000))
    response = stored.http.get("/activity-api/v1/events?" + urlencode(
        {"service_id": "classifier", "object_type": "node_groups", "object_id": ids}))
    _activity_400(response, "object_id", "1000 alternatives in one 'or'; the limit is 100")
    response = stored.http.get("/activity-api/v1/events?" + urlencode(
        {"service_id": "classifier", "subject_type": "users", "subject_id": ids}))
    _activity_400(response, "subject_id", "1000 values in one 'in'; the limit is 100")


def test_an_activity_v1_id_list_at_the_cap_answers(stored):
    ids = ",".join(str(i) for i in range(100))
    response = stored.http.get("/activity-api/v1/events?" + urlencode(
        {"service_id": "classifier", "object_type": "node_groups", "object_id": ids}))
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["total-rows"] == 3


def test_activity_v2_query_items_over_the_cap_are_a_400(stored):
    items = [{"ip_address": f"10.0.{i}."} for i in range(101)]
    for path in ("/activity-api/v2/events?" + urlencode({"query": json.dumps(items)}),):
        _activity_400(stored.http.get(path), "query", "101 alternatives in one 'or'")


def test_fifty_eight_nested_nots_in_a_v4_post_are_a_400(stored):
    query = ["=", "certname", "a"]
    for _ in range(58):
        query = ["not", query]
    response = _v4_post(stored, {"query": query})
    _plain_400(response, b"The 'query' parameter is nested more than 32 levels deep")


@pytest.mark.parametrize("shape", ["not", "and-or", "not-and", "not-or"])
def test_the_deepest_query_allowed_runs_in_every_shape(stored, shape):
    """Nesting up to the depth cap compiles for SQLite (once 'parser stack overflow'
    at 25 alternations) and answers on both adapters, GET and POST."""
    query = ["=", "line", 1]
    for level in range(31):          # 31 connectives + the leaf: 32 levels
        operator = {"not": "not", "and-or": ("and", "or")[level % 2],
                    "not-and": ("not", "and")[level % 2], "not-or": ("not", "or")[level % 2]}[shape]
        query = ["not", query] if operator == "not" else [operator, ["=", "certname", "x"], query]
    get = stored.http.get(_v4_get(query))
    post = _v4_post(stored, {"query": query})
    assert (get.status_code, post.status_code) == (200, 200), (get.body, post.body)
    assert json.loads(get.body) == json.loads(post.body)


# ----------------------------------------- item 3: POST bodies and regex lengths

def test_a_v4_post_query_over_the_size_limit_is_a_400(stored):
    sixty_regexes = ["or"] + [["~", "message", "x" * 1000]] * 60       # 63 KB
    wide_in = ["in", "certname", ["array", ["node-%06d" % i for i in range(30000)]]]
    for query in (sixty_regexes, wide_in):
        _plain_400(_v4_post(stored, {"query": query}),
                   b"The 'query' parameter is longer than 16384 bytes")


def test_a_v4_post_counts_filter_and_order_by_are_held_to_the_query_limits(stored):
    counts_filter = ["or"] + [["=", "failures", 1]] * 2000
    response = _v4_post(stored, {"summarize_by": "certname", "counts_filter": counts_filter},
                        path="event-counts")
    _plain_400(response, b"The 'counts_filter' parameter is longer than 16384 bytes")
    response = _v4_post(stored, {"summarize_by": "certname",
                                 "counts_filter": ["or"] + [["=", "failures", 1]] * 101},
                        path="event-counts")
    _plain_400(response, b"101 alternatives in one 'or'")
    order_by = [{"field": "certname", "order": "asc"}] * 600
    _plain_400(_v4_post(stored, {"order_by": order_by}),
               b"The 'order_by' parameter is longer than 16384 bytes")


def test_a_v4_post_query_nested_past_the_query_depth_is_a_400(stored):
    """Between the query depth (32) and the body depth (64): refused as a GET is."""
    body = '{"query": ' + "[" * 40 + "]" * 40 + "}"
    response = stored.http.post("/pdb/query/v4/events", headers=JSON, body=body)
    _plain_400(response, b"The 'query' parameter is nested more than 32 levels deep")


def test_the_regex_length_limit_holds_in_v4_get_and_post(stored, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_REGEX_LENGTH", "16")
    query = ["~", "certname", "a" * 17]
    for response in _puppetdb_answers(stored, query):
        _plain_400(response, b"regular expression longer than 16 characters")


# -------------------------------------------------- the read budget: a 503

@pytest.fixture
def jumping_clock(monkeypatch):
    """Each reading of the budget's clock is an hour after the last: any armed
    deadline has passed by the first check."""
    hours = itertools.count(step=3600)
    monkeypatch.setattr(budget, "clock", lambda: float(next(hours)))
    monkeypatch.setattr(connection, "PROGRESS_STEPS", 1)


@pytest.fixture
def tiny_budget(monkeypatch, jumping_clock):
    monkeypatch.setenv("EVENTS_QUERY_DEADLINE_MS", "1")     # SQLite
    monkeypatch.setenv("EVENTS_MAX_ITEMS_READ", "1")        # DynamoDB


def _too_expensive_text(response) -> str:
    assert response.status_code == 503, response.body
    assert "Retry-After" not in response.headers
    return response.body.decode()


def _expected(client) -> str:
    return ("ran longer than 1 ms (EVENTS_QUERY_DEADLINE_MS)"
            if client.store.__class__.__name__ == "SqliteStorage"
            else "read more than 1 items (EVENTS_MAX_ITEMS_READ)")


def test_a_puppetdb_query_past_the_budget_is_a_plain_503(stored, tiny_budget):
    query = ["~", "message", "x"]
    answers = [stored.http.get(_experimental(["~", "message", "x"])),
               stored.http.get(_v4_get(query)), _v4_post(stored, {"query": query}),
               stored.http.get("/pdb/query/v4/reports")]
    for response in answers:
        text = _too_expensive_text(response)
        assert response.headers["Content-Type"].startswith("text/plain")
        assert text.startswith("The query is too expensive: ")
        assert _expected(stored) in text


def test_an_activity_query_past_the_budget_is_a_json_503(stored, tiny_budget):
    for path in ("/activity-api/v2/events?" + urlencode({"query": json.dumps([{"ip_address": "10."}])}),
                 "/activity-api/v1/events?service_id=classifier&object_type=node_groups&object_id=1,2"):
        response = stored.http.get(path)
        _too_expensive_text(response)
        body = json.loads(response.body)
        assert body["kind"] == "puppetlabs.activity/query-too-expensive"
        assert _expected(stored) in body["msg"]


def test_an_orchestrator_listing_past_the_budget_is_a_json_503(stored, tiny_budget):
    for _ in range(2):
        stored.store.create_job(new_job())
    response = stored.http.get("/orchestrator/v1/jobs?type=deploy")
    _too_expensive_text(response)
    assert json.loads(response.body)["kind"] == "puppetlabs.orchestrator/query-too-expensive"
