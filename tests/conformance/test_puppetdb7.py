"""The service answers as a real PuppetDB 7 does (issue 13): every request of
cases.CASES, on both adapters, compared answer for answer (status, media type and
charset, X-Records, body or error text), except where DIFFERENCES says why not."""
from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .cases import CASES, REPORTS
from .compare import Answer, Case, normalise

# Deliberate differences, each with its reason; README "Differences from PuppetDB 7"
# says the same. A field name masks that key in both answers; a case name compares
# that case's answer on the service alone (`expected`, a predicate on the Answer).
MASKED_FIELDS = {
    "corrective_change": "kept as Puppet sent it, as PE's PuppetDB does; open-source "
                         "PuppetDB 7 always answers null",
    "latest_report_corrective_change": "a node's latest report's corrective_change, kept "
                                       "as Puppet sent it (see corrective_change)",
    "resource_events": "a report's events are given by reference (href) only, so a page of "
                       "reports stays bounded; PuppetDB 7 also embeds every event",
}
_CORRECTIVE = ("corrective_change is kept as Puppet sent it (PE's PuppetDB does so); "
               "open-source PuppetDB 7 stores NULL, so queries on it differ")
_BUG = "PuppetDB 7.12 answers 500 here (its bug, ../shared/notes/puppetdb.md 6.9)"
_UNKNOWN = ("PuppetDB redirects an unknown path to its dashboard (302), which the service "
            "does not serve; the service answers 404 in PuppetDB's plain-text format")
_METHOD = ("PuppetDB answers another method on a query endpoint 400; the service answers "
           "HTTP's 405, with PuppetDB's text")


_STATUS = ("PuppetDB also lists trapperkeeper's own `status-service` (JVM metrics), which "
           "the service has no counterpart for, and counts its command queue; the service "
           "stores a report while the request waits, so its queue_depth is 0")
_STATUS_DETAIL = {"maintenance_mode?": False, "queue_depth": 0, "read_db_up?": True,
                  "write_db_up?": True, "write_dbs_up?": True, "write_db": {"default": {"up?": True}}}


_NOT_STORED = ("the service stores reports and events only: where PuppetDB with no facts or "
               "catalogs answers 200 [] (or 404 for one catalog), the service answers 404 "
               "{\"error\"} saying what it does not store")


def _not_stored(what: str):
    return lambda a: (a.status, a.media_type) == (404, "application/json") \
        and f"only, no {what}:" in a.body["error"]


def _running(entry: dict, level: str = "info") -> bool:
    return entry.get("state") == "running" and entry.get("detail_level") == level \
        and entry.get("service_status_version") == 1 and entry.get("status") == _STATUS_DETAIL


def _ok(answer: Answer) -> bool:
    return answer.status == 200 and answer.media_type == "application/json"


def _refused(text: str, status: int = 400):
    return lambda a: (a.status, a.media_type, a.body) == (status, "text/plain", text)


def _unknown(path: str):
    return _refused(f"No route serves {path}", 404)


_PG_500 = ("PuppetDB 7 answers PostgreSQL's error (or a generic one) as a 500; the service "
           "answers 400 with PostgreSQL's words or a reason")
_PARSE = ("both answer 400 \"PQL parse error at line 1, column 1: ...\"; the expected-token "
          "lists come from different parsers (Instaparse, lark)")


def _starts(prefix: str, status: int = 400):
    return lambda a: a.status == status and str(a.body).startswith(prefix)


_COLUMNS = ("PuppetDB lists every queryable field as an order_by column, latest_report? "
            "too, which orders nothing; the service refuses it and leaves it out of the list")


def _columns_refused(column: str):
    """The unknown-column refusal, its list of columns without latest_report?."""
    return lambda a: ((a.status, a.media_type) == (400, "text/plain")
                      and str(a.body).startswith(f"Unrecognized column '{column}' specified "
                                                 "in :order_by; Supported columns are ")
                      and "latest_report?" not in str(a.body))


DIFFERENT_CASES = {
    "err-extract-ungrouped": (_PG_500, _refused(
        'column "events.status" must appear in the GROUP BY clause or be used in an aggregate '
        "function")),
    "err-extract-function-type": (_PG_500, _refused("function avg(text) does not exist")),
    "err-extract-unknown-function": (_PG_500, _starts('"foo" is not a function')),
    "err-pql-syntax": (_PARSE, _starts("PQL parse error at line 1, column 21:\n\n"
                                       "events { certname = }\n")),
    "err-pql-group-then-order": (_PARSE, _starts("PQL parse error at line 1, column 43:\n\n")),
    "err-pql-entity": (_PARSE, _starts("PQL parse error at line 1, column 1:\n\nbogus {}\n")),
    "pql-facts": ("the service keeps no facts (nor catalogs, resources, ...): 404 JSON instead "
                  "of an empty list, so a client learns it asked the wrong service",
                  lambda a: a.status == 404 and "stores no facts" in a.body["error"]),
    "pql-subquery": ("the service runs no subqueries (400 with the reason)",
                     _starts("Subqueries are not supported")),
    "events-corrective-change": (_CORRECTIVE, _ok),
    "events-null-corrective": (_CORRECTIVE, _ok),
    "events-not-corrective": (_CORRECTIVE, _ok),
    "events-in-line": (_BUG + " (integer = text)", lambda a: _ok(a) and a.body and all(e["line"] in (8, 46) for e in a.body)),
    "err-regex-on-line": (_BUG + " (integer ~ text)",
                          _refused("Query operator ~ is not allowed on field line")),
    "err-query-not-array": (_BUG + " (a schema check)",
                            _refused('"certname" is not well-formed: queries must be an array')),
    "err-order-by-column": (_COLUMNS, _columns_refused("nope")),
    "err-extract-order-by-count": (_COLUMNS, _columns_refused("count")),
    "err-regex-invalid": ("the regular expression engines differ (PostgreSQL's, RE2); both "
                          "refuse an invalid pattern with 400, in their own words",
                          lambda a: a.status == 400 and a.media_type == "text/plain"
                          and str(a.body).startswith("invalid regular expression")),
    "route-unknown-v4": (_UNKNOWN, _unknown("/pdb/query/v4/nodes-of-mars")),
    "route-unknown-root": (_UNKNOWN, _unknown("/pdb/nothing/here")),
    "method-delete-events": (_METHOD, _refused("PuppetDB queries must be made via GET/POST", 405)),
    "method-put-reports": (_METHOD, _refused("PuppetDB queries must be made via GET/POST", 405)),
    "not-stored-facts": (_NOT_STORED, _not_stored("facts")),
    "not-stored-catalog": (_NOT_STORED, _not_stored("catalogs")),
    "not-stored-resources": (_NOT_STORED, _not_stored("resources")),
    "status-services": (_STATUS, lambda a: _ok(a) and list(a.body) == ["puppetdb-status"]
                        and _running(a.body["puppetdb-status"])),
    "status-puppetdb": (_STATUS, lambda a: _ok(a) and _running(a.body, "critical")
                        and a.body["service_name"] == "puppetdb-status"),
}


def _hashes(send) -> dict[str, str]:
    """hash -> `report:<certname>@<start_time>` for one side."""
    status, _, raw = send(Case("hashes", "/pdb/query/v4/reports"))
    assert status == 200, raw
    return {r["hash"]: f"report:{r['certname']}@{r['start_time']}" for r in json.loads(raw)}


def _spelled(case: Case, hashes: dict[str, str]) -> Case:
    """The case with `{a1}`-style report names in its path and parameters replaced by
    this side's hashes."""
    by_report = {name: h for h, label in hashes.items() for name, (cert, start) in REPORTS.items()
                 if label == f"report:{cert}@{start}"}
    params = {k: _with_hashes(v, by_report) for k, v in case.params.items()}
    return dataclasses.replace(case, path=_with_hashes(case.path, by_report), params=params)


def _with_hashes(text: str, by_report: dict[str, str]) -> str:
    for name, report_hash in by_report.items():
        text = text.replace("{" + name + "}", report_hash)
    return text


def _raw_body(case: Case) -> bytes | None:
    if case.body is None:
        return None
    return (case.body if isinstance(case.body, str) else json.dumps(case.body)).encode()


def _headers(case: Case) -> dict:
    headers = dict(case.headers)
    if case.body is not None:
        headers.setdefault("Content-Type", "application/json")
    return headers


@pytest.fixture(scope="module")
def puppetdb_send(puppetdb):
    def send(case: Case):
        url = puppetdb + case.path
        if case.params:
            url += "?" + urllib.parse.urlencode(case.params)
        request = urllib.request.Request(url, data=_raw_body(case), headers=_headers(case),
                                         method=case.method)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, {k.lower(): v for k, v in answer.headers.items()}, \
                    answer.read()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
    return send


@pytest.fixture(scope="module")
def puppetdb_hashes(puppetdb_send):
    return _hashes(puppetdb_send)


@pytest.fixture(scope="module")
def service_send(service):
    _, client = service

    def send(case: Case):
        path = case.path
        if case.params:
            path += "?" + urllib.parse.urlencode(case.params)
        answer = client.http.request(case.method, path, headers=_headers(case),
                                     body=_raw_body(case) or b"")
        return answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, answer.body
    return send


@pytest.fixture(scope="module")
def service_hashes(service_send):
    return _hashes(service_send)


_PUPPETDB_ANSWERS: dict[str, Answer] = {}


def _answer(send, hashes, case: Case) -> Answer:
    status, headers, raw = send(_spelled(case, hashes))
    return normalise(status, headers, raw, hashes, masked=frozenset(MASKED_FIELDS),
                     ordered=case.ordered)


def test_at_least_80_requests_are_compared():
    assert len({case.name for case in CASES}) == len(CASES) >= 80


def test_the_service_computes_puppetdbs_own_report_hashes(puppetdb_hashes, service_hashes):
    """The same reports get the same hash from both (puppetdb/ingest/identity.py): the mapping
    through (certname, start_time) is then the identity."""
    assert service_hashes == puppetdb_hashes


def test_every_declared_difference_names_a_case():
    assert set(DIFFERENT_CASES) <= {case.name for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=Case.id)
def test_service_answers_as_puppetdb_7(case, puppetdb_send, puppetdb_hashes, service_send,
                                       service_hashes):
    if case.name not in _PUPPETDB_ANSWERS:
        _PUPPETDB_ANSWERS[case.name] = _answer(puppetdb_send, puppetdb_hashes, case)
    ours = _answer(service_send, service_hashes, case)
    if case.name in DIFFERENT_CASES:
        reason, expected = DIFFERENT_CASES[case.name]
        assert expected(ours), f"{case.name}: {reason}; the service answered {ours}"
        return
    theirs = _PUPPETDB_ANSWERS[case.name]
    assert ours == theirs, _difference(ours, theirs)


def _difference(ours: Answer, theirs: Answer) -> str:
    """The first differing part, briefly (a whole body is too long to read)."""
    for name in ("status", "media_type", "charset", "records"):
        if getattr(ours, name) != getattr(theirs, name):
            return (f"{name}: service {getattr(ours, name)!r}, PuppetDB {getattr(theirs, name)!r}"
                    f"; bodies: service {str(ours.body)[:300]} / PuppetDB {str(theirs.body)[:300]}")
    if isinstance(ours.body, list) and isinstance(theirs.body, list):
        if len(ours.body) != len(theirs.body):
            return f"service {len(ours.body)} items, PuppetDB {len(theirs.body)}"
        for index, (a, b) in enumerate(zip(ours.body, theirs.body)):
            if a != b:
                if isinstance(a, dict) and isinstance(b, dict):
                    keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
                    return f"item {index}: " + "; ".join(
                        f"{k}: service {a.get(k)!r}, PuppetDB {b.get(k)!r}" for k in keys)[:600]
                return f"item {index}: service {a!r}, PuppetDB {b!r}"
    return f"body: service {str(ours.body)[:400]!r}, PuppetDB {str(theirs.body)[:400]!r}"
