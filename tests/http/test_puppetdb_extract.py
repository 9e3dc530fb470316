"""v4 `extract` and `group_by` over HTTP (both adapters): the shapes PuppetDB 7.12.1
answers (measured against it; tests/conformance compares them) and puppetboard's two
requests (/work FINDINGS: the index's count, the daily reports chart)."""
from __future__ import annotations

import json

from tests.http.test_puppetdb_v4_api import _get, _json, loaded, loaded_store, store  # noqa: F401

NODE = "node-a.anchor.test"


def _events(client, query, **params):
    return _json(_get(client, "/pdb/query/v4/events", query=query, **params))


def _reports(client, query, **params):
    return _json(_get(client, "/pdb/query/v4/reports", query=query, **params))


def test_puppetboards_daily_chart_counts_reports_by_status(loaded):
    found = _reports(loaded, ["extract", [["function", "count"], "status"],
                              ["=", "certname", NODE], ["group_by", "status"]])
    listed = _reports(loaded, ["=", "certname", NODE])
    assert [list(row) for row in found] == [["count", "status"]] * len(found)
    assert {row["status"]: row["count"] for row in found} == {
        s: sum(1 for r in listed if r["status"] == s) for s in {r["status"] for r in listed}}


def test_a_count_without_group_by_is_one_row_of_an_int(loaded):
    assert _reports(loaded, ["extract", [["function", "count"]]]) == [{"count": 6}]
    assert _events(loaded, ["extract", [["function", "count"]]]) == [{"count": 62}]
    assert _events(loaded, ["extract", [["function", "count"]], ["=", "certname", "no.such"]]) \
        == [{"count": 0}]


def test_functions_over_a_numeric_field(loaded):
    (row,) = _events(loaded, ["extract", [["function", "avg", "line"], ["function", "sum", "line"],
                                          ["function", "min", "line"], ["function", "max", "line"],
                                          ["function", "count", "line"]]])
    lines = [e["line"] for e in _json(_get(loaded, "/pdb/query/v4/events"))
             if e["line"] is not None]
    assert list(row) == ["avg", "sum", "min", "max", "count"]
    assert row["sum"] == sum(lines) and row["count"] == len(lines)
    assert isinstance(row["avg"], float) and abs(row["avg"] - sum(lines) / len(lines)) < 1e-9
    assert (row["min"], row["max"]) == (min(lines), max(lines))


def test_min_and_max_of_a_time_are_answered_as_times(loaded):
    (row,) = _events(loaded, ["extract", [["function", "max", "timestamp"],
                                          ["function", "min", "certname"]]])
    assert row["max"].endswith("Z") and len(row["max"]) == 24
    assert row["min"] == NODE


def test_nothing_matched_and_grouped_is_an_empty_list(loaded):
    assert _events(loaded, ["extract", [["function", "count"]], ["=", "certname", "no.such"],
                            ["group_by", "status"]]) == []


def test_group_by_orders_pages_and_totals_the_groups(loaded):
    response = _get(loaded, "/pdb/query/v4/events",
                    query=["extract", [["function", "count"], "status"], ["group_by", "status"]],
                    order_by=[{"field": "status", "order": "desc"}], limit="2",
                    include_total="true")
    found = _json(response)
    assert [row["status"] for row in found] == ["success", "skipped"]
    assert response.headers["X-Records"] == "4"


def test_fields_only_cut_each_event_to_them_in_that_order(loaded):
    found = _events(loaded, ["extract", ["status", "certname"], ["=", "status", "failure"]])
    assert found and all(list(e) == ["status", "certname"] and e["status"] == "failure"
                         for e in found)


def test_group_by_without_functions_gives_distinct_groups(loaded):
    found = _events(loaded, ["extract", ["status"], ["group_by", "status"]])
    assert sorted(row["status"] for row in found) == ["failure", "noop", "skipped", "success"]


def test_a_grouped_path_is_answered_as_an_array(loaded):
    found = _events(loaded, ["extract", [["function", "count"], "containment_path"],
                             ["=", "certname", NODE], ["group_by", "containment_path"]])
    assert all(isinstance(row["containment_path"], list) for row in found)


def test_reports_fields_only(loaded):
    found = _reports(loaded, ["extract", ["hash", "status"], ["=", "certname", NODE]])
    assert found and all(set(r) == {"hash", "status"} for r in found)


def test_a_post_body_takes_extract_as_a_value(loaded):
    response = loaded.http.post(
        "/pdb/query/v4/reports", headers={"Content-Type": "application/json"},
        body=json.dumps({"query": ["extract", [["function", "count"]], ["=", "certname", NODE]]}))
    assert _json(response) == [{"count": len(_reports(loaded, ["=", "certname", NODE]))}]


def _error(client, path, query):
    response = _get(client, path, query=query)
    assert response.status_code == 400, response.body
    return response.body.decode()


def test_an_unknown_field_is_puppetdbs_error(loaded):
    text = _error(loaded, "/pdb/query/v4/events", ["extract", [["function", "count"], "bogus"],
                                                   ["group_by", "bogus"]])
    assert text.startswith("Can't extract unknown 'events' field 'bogus'. Acceptable fields are "
                           "'message', 'old_value',")
    assert text.endswith("'file', and 'report'")


def test_an_unknown_group_by_field(loaded):
    assert _error(loaded, "/pdb/query/v4/events", ["extract", ["status"], ["group_by", "bogus"]]) \
        == '"bogus" is niether a valid column name nor function name'


def test_a_field_beside_a_function_must_be_grouped(loaded):
    assert _error(loaded, "/pdb/query/v4/events", ["extract", [["function", "count"], "status"]]) \
        == ('column "events.status" must appear in the GROUP BY clause or be used in an '
            "aggregate function")


def test_functions_on_the_wrong_type_or_unknown(loaded):
    assert _error(loaded, "/pdb/query/v4/events", ["extract", [["function", "avg", "status"]]]) \
        == "function avg(text) does not exist"
    assert _error(loaded, "/pdb/query/v4/events",
                  ["extract", [["function", "sum", "timestamp"]]]) \
        == "function sum(timestamp with time zone) does not exist"
    assert "not a function" in _error(loaded, "/pdb/query/v4/events",
                                      ["extract", [["function", "foo"]]])
    assert _error(loaded, "/pdb/query/v4/events", ["extract", [["function", "avg"]]]) \
        == "function avg() does not exist"


def test_a_bad_filter_inside_extract_keeps_its_message(loaded):
    assert _error(loaded, "/pdb/query/v4/reports", ["extract", ["hash"], ["=", "bogus", 1]]) \
        .startswith("'bogus' is not a queryable object for reports.")


def test_a_name_given_twice_gets_a_suffix(loaded):
    (row,) = _events(loaded, ["extract", [["function", "count"], ["function", "count", "line"],
                                          ["function", "max", "line"],
                                          ["function", "count", "property"]]])
    assert list(row) == ["count", "count_2", "max", "count_3"]
    assert row["count"] == 62 and row["count_3"] < 62


def test_a_bad_clause_is_shown_as_puppetdb_prints_it(loaded):
    assert _error(loaded, "/pdb/query/v4/events", ["extract", [["function", "count"]],
                                                   ["=", "status", "noop"], ["foo", "status"]]) \
        == '["foo" "status"] is not a valid expression for "extract"'


def test_more_columns_than_the_query_width_are_refused(loaded):
    text = _error(loaded, "/pdb/query/v4/events",
                  ["extract", [["function", "count"]] * 101])
    assert "EVENTS_MAX_QUERY_WIDTH" in text


# ------------------------------------------------------------ nodes and environments

def _nodes(client, query, **params):
    return _json(_get(client, "/pdb/query/v4/nodes", query=query, **params))


def test_puppetboards_node_count_and_by_status(loaded):
    listed = _json(_get(loaded, "/pdb/query/v4/nodes"))
    assert _nodes(loaded, ["extract", [["function", "count"]]]) == [{"count": len(listed)}]
    found = _nodes(loaded, ["extract", [["function", "count"], "latest_report_status"],
                            ["group_by", "latest_report_status"]])
    assert {r["latest_report_status"]: r["count"] for r in found} == {
        s: sum(1 for n in listed if n["latest_report_status"] == s)
        for s in {n["latest_report_status"] for n in listed}}


def test_the_index_count_on_catalog_environment_is_zero_as_a_reports_only_puppetdb(loaded):
    # puppetboard's index: no catalogs are stored, so no node has a catalog_environment
    assert _nodes(loaded, ["extract", [["function", "count"]],
                           ["and", ["=", "catalog_environment", "production"]]]) == [{"count": 0}]


def test_node_times_and_never_stored_fields_in_groups(loaded):
    (row,) = _nodes(loaded, ["extract", [["function", "max", "report_timestamp"],
                                         ["function", "count", "catalog_timestamp"]]])
    assert row["max"].endswith("Z") and len(row["max"]) == 24 and row["count"] == 0
    found = _nodes(loaded, ["extract", [["function", "count"], "catalog_environment"],
                            ["group_by", "catalog_environment"]])
    assert found == [{"count": len(_json(_get(loaded, "/pdb/query/v4/nodes"))),
                      "catalog_environment": None}]


def test_nodes_fields_only(loaded):
    found = _nodes(loaded, ["extract", ["certname", "latest_report_status"]])
    assert found and all(list(n) == ["certname", "latest_report_status"] for n in found)


def test_environments_extract(loaded):
    listed = _json(_get(loaded, "/pdb/query/v4/environments"))
    assert _json(_get(loaded, "/pdb/query/v4/environments",
                      query=["extract", [["function", "count"]]])) == [{"count": len(listed)}]
    assert _json(_get(loaded, "/pdb/query/v4/environments", query=["extract", ["name"]])) == listed
    assert _error(loaded, "/pdb/query/v4/environments", ["extract", ["bogus"]]) == \
        "Can't extract unknown 'environments' field 'bogus'. Acceptable fields are 'name'"


def test_an_environments_reports_take_extract(loaded):
    (environment,) = _json(_get(loaded, "/pdb/query/v4/environments"))
    found = _json(_get(loaded, f"/pdb/query/v4/environments/{environment['name']}/reports",
                       query=["extract", [["function", "count"]]]))
    assert found == [{"count": 6}]


def test_a_wide_filter_under_extract_keeps_the_filters_width_text(loaded):
    wide = ["or"] + [["=", "line", n] for n in range(101)]
    expected = ("The query has 101 alternatives in one 'or'; the limit is 100 "
                "(EVENTS_MAX_QUERY_WIDTH)")
    assert _error(loaded, "/pdb/query/v4/events", ["extract", ["certname"], wide]) == expected
    pql = "events[certname] { " + " or ".join(f"line = {n}" for n in range(101)) + " }"
    assert _error(loaded, "/pdb/query/v4", pql) == expected


def test_a_group_by_wider_than_the_query_width_is_refused(loaded):
    text = _error(loaded, "/pdb/query/v4/events",
                  ["extract", [["function", "count"]], ["group_by"] + ["certname"] * 101])
    assert "extracts or groups by more than 100 columns" in text
