"""PQL and the AST's from form at GET/POST /pdb/query/v4 (both adapters): the same
answers as the entity endpoints, PuppetDB 7's error texts (measured against 7.12.1;
tests/conformance compares them)."""
from __future__ import annotations

import json

from tests.http.test_puppetdb_v4_api import _get, _json, loaded, loaded_store, store  # noqa: F401

NODE = "node-a.anchor.test"


def _pql(client, query, **params):
    return _json(_get(client, "/pdb/query/v4", query=query, **params))


def _error(client, query, status=400, **params):
    response = _get(client, "/pdb/query/v4", query=query, **params)
    assert response.status_code == status, response.body
    return response.body.decode()


def test_puppetboards_events_query(loaded):
    found = _pql(loaded, 'events[certname, status, resource_title] { status = "failure" }')
    expected = _json(_get(loaded, "/pdb/query/v4/events", query=["=", "status", "failure"]))
    assert found and [list(e) for e in found] == [["certname", "status", "resource_title"]] * len(found)
    assert sorted(map(json.dumps, found)) == sorted(
        json.dumps({k: e[k] for k in ("certname", "status", "resource_title")}) for e in expected)


def test_reports_with_order_and_limit_equal_the_reports_endpoint(loaded):
    found = _pql(loaded, f'reports[hash, status] {{ certname = "{NODE}" '
                         "order by producer_timestamp desc, hash limit 2 offset 1 }")
    listed = _json(_get(loaded, "/pdb/query/v4/reports", query=["=", "certname", NODE],
                        order_by=[{"field": "producer_timestamp", "order": "desc"},
                                  {"field": "hash"}], limit="2", offset="1"))
    assert found == [{"hash": r["hash"], "status": r["status"]} for r in listed]


def test_group_by_with_count(loaded):
    found = _pql(loaded, "events[count(), status] { group by status }")
    assert sorted(found, key=lambda r: r["status"]) == sorted(
        _json(_get(loaded, "/pdb/query/v4/events",
                   query=["extract", [["function", "count"], "status"], ["group_by", "status"]])),
        key=lambda r: r["status"])
    assert _pql(loaded, "reports[count()] {}") == [{"count": 6}]


def test_every_operator(loaded):
    events = _json(_get(loaded, "/pdb/query/v4/events"))
    cases = {
        'status != "success"': lambda e: e["status"] != "success",
        'status ~ "^fail"': lambda e: e["status"].startswith("fail"),
        'status !~ "^s"': lambda e: not e["status"].startswith("s"),
        "line < 20": lambda e: e["line"] is not None and e["line"] < 20,
        "line <= 20 and line >= 8": lambda e: e["line"] is not None and 8 <= e["line"] <= 20,
        "line > 40 or line = 8": lambda e: e["line"] is not None and (e["line"] > 40 or e["line"] == 8),
        'status in ["noop", "skipped"]': lambda e: e["status"] in ("noop", "skipped"),
        "property is null": lambda e: e["property"] is None,
        "property is not null": lambda e: e["property"] is not None,
        '!(status = "success") and certname = \'node-a.anchor.test\'':
            lambda e: e["status"] != "success" and e["certname"] == NODE,
    }
    for condition, wanted in cases.items():
        found = _pql(loaded, f"events[report, resource_title, status] {{ {condition} }}")
        assert len(found) == sum(1 for e in events if wanted(e)), condition


def test_the_from_form_as_json_and_as_a_post_body(loaded):
    term = ["from", "reports", ["=", "certname", NODE], ["order_by", [["producer_timestamp", "desc"]]],
            ["limit", 1]]
    (found,) = _pql(loaded, json.dumps(term))
    response = loaded.http.post("/pdb/query/v4", headers={"Content-Type": "application/json"},
                                body=json.dumps({"query": term}))
    assert _json(response) == [found]
    response = loaded.http.post("/pdb/query/v4", headers={"Content-Type": "application/json"},
                                body=json.dumps({"query": "reports[count()] {}"}))
    assert _json(response) == [{"count": 6}]


def test_url_paging_wins_over_the_querys(loaded):
    assert len(_pql(loaded, "reports[hash] { limit 1 }", limit="3")) == 3


def test_include_total(loaded):
    response = _get(loaded, "/pdb/query/v4", query="reports[hash] { limit 1 }",
                    include_total="true")
    assert len(_json(response)) == 1 and response.headers["X-Records"] == "6"


def test_a_syntax_error_is_puppetdbs_layout(loaded):
    text = _error(loaded, "events { certname = }")
    assert text.startswith("PQL parse error at line 1, column 21:\n\n"
                           "events { certname = }\n                    ^\n\nExpected one of:\n\n")
    assert "\ntrue\n" in text and "\n[\n" in text


def test_an_unknown_entity(loaded):
    assert _error(loaded, "bogus {}").startswith("PQL parse error at line 1, column 1:")
    assert _error(loaded, '["from", "bogus"]') == "Invalid entity 'bogus' in query"


def test_entities_the_service_does_not_keep_are_404_json(loaded):
    body = json.loads(_error(loaded, "facts {}", status=404))
    assert "stores no facts" in body["error"]


def test_not_a_from_form(loaded):
    assert _error(loaded, '["=", "certname", "x"]') == (
        'Your initial query must be of the form: ["from",<entity>,(<optional-query>)]. '
        "Check your query and try again.")
    response = loaded.http.get("/pdb/query/v4")
    assert response.status_code == 400 and response.body == b"Missing required query parameter 'query'"


def test_an_unknown_field_keeps_the_entity_endpoints_text(loaded):
    assert _error(loaded, "reports { bogus = 1 }").startswith(
        "'bogus' is not a queryable object for reports. Known queryable objects are ")
    assert _error(loaded, "reports[bogus] {}").startswith(
        "Can't extract unknown 'reports' field 'bogus'.")


def test_subqueries_are_refused(loaded):
    assert "Subqueries are not supported" in _error(
        loaded, 'events { certname in reports[certname] { status = "failed" } }')


def test_deep_nesting_is_refused_before_parsing(loaded):
    text = _error(loaded, "events { " + "(" * 5000 + 'status = "x"' + ")" * 5000 + " }")
    assert "EVENTS_MAX_QUERY_DEPTH" in text
    text = _error(loaded, "events { " + "!" * 5000 + 'status = "x" }')
    assert "EVENTS_MAX_QUERY_DEPTH" in text


def test_a_deep_from_form_is_refused_by_the_query_limits(loaded):
    text = _error(loaded, '["from", "events", ' + "[" * 100 + "]" * 100 + "]")
    assert "nested" in text or "deep" in text


def test_nodes_and_environments(loaded):
    listed = _json(_get(loaded, "/pdb/query/v4/nodes"))
    found = _pql(loaded, "nodes[certname, latest_report_status] { order by certname }")
    assert found == [{"certname": n["certname"], "latest_report_status": n["latest_report_status"]}
                     for n in sorted(listed, key=lambda n: n["certname"])]
    assert _pql(loaded, 'nodes[count()] { report_environment = "production" }') == \
        [{"count": sum(1 for n in listed if n["report_environment"] == "production")}]
    assert _pql(loaded, "nodes {}") == _json(_get(loaded, "/pdb/query/v4/nodes"))
    assert _pql(loaded, "environments {}") == _json(_get(loaded, "/pdb/query/v4/environments"))
    assert _pql(loaded, "environments[count()] {}") == [{"count": 1}]
