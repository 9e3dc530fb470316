"""Query values the stores cannot hold, or that are not text, are PuppetDB-format 400s
in every dialect and form (both adapters): an integer outside signed 64 bits (SQLite's
driver raised OverflowError, a 500), and PQL strings that do not decode."""
from __future__ import annotations

import json

import pytest

from tests.http.test_puppetdb_v4_api import _get, loaded, loaded_store, store  # noqa: F401
from tests.payloads import JSON

HUGE = 99999999999999999999999999
HUGE_TEXT = f"{HUGE}' is not a valid numeric value for field "


def _plain_400(response, text: str) -> str:
    assert response.status_code == 400, response.body
    assert response.headers["Content-Type"].startswith("text/plain")
    body = response.body.decode()
    assert text in body, body
    return body


HUGE_QUERIES = {
    "events =": ("/pdb/query/v4/events", {"query": ["=", "line", HUGE]}),
    "events <": ("/pdb/query/v4/events", {"query": ["<", "line", HUGE]}),
    "events negative": ("/pdb/query/v4/events", {"query": [">", "line", -HUGE]}),
    "events in": ("/pdb/query/v4/events", {"query": ["in", "line", ["array", [1, HUGE]]]}),
    "reports": ("/pdb/query/v4/reports", {"query": ["=", "report_format", HUGE]}),
    "from form": ("/pdb/query/v4", {"query": ["from", "events", ["=", "line", HUGE]]}),
    "pql": ("/pdb/query/v4", {"query": f"events[certname] {{ line = {HUGE} }}"}),
    "1.4": ("/experimental/events", {"query": ["=", "line", HUGE]}),
    "event-counts": ("/pdb/query/v4/event-counts", {"query": ["=", "line", HUGE],
                                                    "summarize_by": "certname"}),
    "counts_filter": ("/pdb/query/v4/event-counts", {"summarize_by": "certname",
                                                     "counts_filter": [">", "failures", HUGE]}),
}


@pytest.mark.parametrize("path,params", HUGE_QUERIES.values(), ids=HUGE_QUERIES.keys())
def test_an_integer_wider_than_64_bits_is_a_400(loaded, path, params):
    _plain_400(_get(loaded, path, **params), HUGE_TEXT)


def test_an_integer_wider_than_64_bits_in_a_v4_post_body_is_a_400(loaded):
    response = loaded.http.post("/pdb/query/v4/events", headers=JSON,
                                body=json.dumps({"query": ["=", "line", HUGE]}))
    _plain_400(response, HUGE_TEXT)


def test_the_64_bit_bounds_themselves_are_queries(loaded):
    for bound in (2 ** 63 - 1, -(2 ** 63 - 1)):
        response = _get(loaded, "/pdb/query/v4/events", query=["=", "line", bound])
        assert response.status_code == 200 and json.loads(response.body) == []



# JSON text as sent: 1e400 decodes to inf. A float nearer 0 than 1e-128 underflowed
# boto3's DynamoDB numbers.
FLOATS = {
    "1e400": ("/pdb/query/v4/events", '["=", "line", 1e400]', "range of signed 64-bit"),
    "1e300": ("/pdb/query/v4/reports", '["<", "report_format", 1e300]', "range of signed 64-bit"),
    "1e-200": ("/pdb/query/v4/events", '["<", "line", 1e-200]', "at least 1e-128"),
    "-1e-300 in": ("/pdb/query/v4/events", '["in", "line", ["array", [-1e-300]]]',
                   "at least 1e-128"),
    "pql": ("/pdb/query/v4", "events { line < 1.0e-200 }", "at least 1e-128"),
}


@pytest.mark.parametrize("path,query,text", FLOATS.values(), ids=FLOATS.keys())
def test_a_float_the_stores_cannot_hold_is_a_400(loaded, path, query, text):
    _plain_400(_get(loaded, path, query=query), text)


def test_fractions_within_the_range_are_queries(loaded):
    for query in ('["<", "line", 1.5]', '[">", "line", -1e-120]', '["=", "line", 0.0]'):
        response = _get(loaded, "/pdb/query/v4/events", query=query)
        assert response.status_code == 200, response.body

# ------------------------------------------------------------------ PQL strings

def _pql_error(client, text: str) -> str:
    return _plain_400(_get(client, "/pdb/query/v4", query=text), "")


@pytest.mark.parametrize("string", ['"\\x"', '"a\u0001b"', '"\\u12"'],
                         ids=["invalid escape", "control character", "short \\u"])
def test_a_pql_string_that_is_not_a_json_string_is_a_parse_error(loaded, string):
    query = f"events[certname] {{ certname = {string} }}"
    assert _pql_error(loaded, query).startswith(
        "PQL parse error at line 1, column 31:\n\n" + query + "\n" + " " * 30 + "^\n")


def test_a_pql_string_with_a_lone_surrogate_escape_is_the_text_rules_400(loaded):
    text = _pql_error(loaded, 'events[certname] { certname = "\\ud800" }')
    assert text == ("The 'query' parameter holds a string that is not valid Unicode text "
                    "(a lone surrogate such as \\ud800)")


def test_a_pql_string_takes_every_json_escape(loaded):
    response = _get(loaded, "/pdb/query/v4",
                    query='events[certname] { certname = "\\ud83d\\ude00\\n\\"\\\\\\/\\u00e9" }')
    assert response.status_code == 200 and json.loads(response.body) == []
