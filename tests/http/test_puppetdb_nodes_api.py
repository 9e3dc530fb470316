"""PuppetDB 7's nodes and environments over HTTP (both adapters), and the
`deactivate node` command (issue 14 item 2). Answers as a real PuppetDB 7.12
gives them (measured on it: node fields, 404 texts, node_state, error texts;
PDB http/handlers.clj node-routes, environments-routes; query_eng/engine.clj
nodes-query)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.contract.test_puppetdb_nodes import report

NODES = "/pdb/query/v4/nodes"
ENVIRONMENTS = "/pdb/query/v4/environments"
NODE_KEYS = {"certname", "deactivated", "expired", "catalog_timestamp", "facts_timestamp",
             "report_timestamp", "catalog_environment", "facts_environment",
             "report_environment", "latest_report_status", "latest_report_hash",
             "latest_report_noop", "latest_report_noop_pending", "cached_catalog_status",
             "latest_report_corrective_change", "latest_report_job_id"}
DEACTIVATE = "/pdb/cmd/v1?command=deactivate_node&version=3&certname="


def get(client, path, **params):
    query = ("?" + urlencode({k: v if isinstance(v, str) else json.dumps(v)
                              for k, v in params.items()})) if params else ""
    return client.http.get(path + query)


def body(response):
    return json.loads(response.body)


def deactivate(client, certname, payload=None, version="3"):
    payload = {"certname": certname} if payload is None else payload
    return client.http.post(f"/pdb/cmd/v1?command=deactivate_node&version={version}"
                            f"&certname={certname}",
                            headers={"Content-Type": "application/json"},
                            body=json.dumps(payload))


@pytest.fixture
def fleet(client):
    """Three nodes: a (failed, older), b (changed, job 7, staging), c (unchanged)."""
    store = client.store
    store.store_report(report("a.example", at="2026-11-22T05:00:00.000Z",
                              statuses=["success", "failure"], status="failed"))
    store.store_report(report("b.example", at="2026-11-22T05:10:00.000Z", statuses=["success"],
                              status="changed", job_id="7", environment="staging"))
    store.store_report(report("c.example", at="2026-11-22T05:20:00.000Z", statuses=[],
                              status="unchanged", noop=True))
    return client


def test_a_node_has_puppetdbs_fields_with_facts_and_catalog_fields_null(fleet):
    response = get(fleet, NODES + "/b.example")
    assert response.status_code == 200
    node = body(response)
    assert set(node) == NODE_KEYS
    assert node["latest_report_status"] == "changed"
    assert node["latest_report_job_id"] == "7"
    assert node["report_environment"] == "staging"
    assert node["report_timestamp"] == "2026-11-22T05:10:00.000Z"
    assert len(node["latest_report_hash"]) == 40
    assert all(node[k] is None for k in ("catalog_timestamp", "facts_timestamp",
                                         "catalog_environment", "facts_environment",
                                         "deactivated", "expired"))


def test_an_unknown_node_is_404_in_puppetdbs_json(fleet):
    response = get(fleet, NODES + "/nowhere.example")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert body(response) == {"error": "No information is known about node nowhere.example"}


def test_nodes_listing_filters_orders_pages_and_counts(fleet):
    failed = body(get(fleet, NODES, query=["=", "latest_report_status", "failed"]))
    assert [n["certname"] for n in failed] == ["a.example"]
    response = get(fleet, NODES, order_by=[{"field": "report_timestamp", "order": "desc"}],
                   limit="2", offset="1", include_total="true")
    assert [n["certname"] for n in body(response)] == ["b.example", "a.example"]
    assert response.headers["X-Records"] == "3"
    assert [n["certname"] for n in body(get(fleet, NODES, query=["~", "certname", "^[ab]"]))] \
        == ["a.example", "b.example"]
    noop = body(get(fleet, NODES, query=["=", "latest_report_noop", True]))
    assert [n["certname"] for n in noop] == ["c.example"]


def test_nodes_answer_post_bodies(fleet):
    response = fleet.http.post(NODES, headers={"Content-Type": "application/json"},
                               body=json.dumps({"query": ["=", "certname", "c.example"]}))
    assert [n["certname"] for n in body(response)] == ["c.example"]


def test_facts_and_catalog_fields_are_queryable_and_always_null(fleet):
    assert body(get(fleet, NODES, query=["=", "facts_environment", "production"])) == []
    assert len(body(get(fleet, NODES, query=["null?", "catalog_timestamp", True]))) == 3


@pytest.mark.parametrize("query, text", [
    (["=", "nope", "x"], "'nope' is not a queryable object for nodes. Known queryable objects "
     "are 'cached_catalog_status', 'catalog_environment', 'catalog_timestamp', 'certname', "
     "'deactivated', 'expired', 'facts_environment', 'facts_timestamp', "
     "'latest_report_corrective_change', 'latest_report_hash', 'latest_report_job_id', "
     "'latest_report_noop', 'latest_report_noop_pending', 'latest_report_status', "
     "'report_environment', and 'report_timestamp'"),
    ([">", "latest_report_noop", 1], "Query operators >,>=,<,<= are not allowed on field "
     "latest_report_noop"),
    (["=", "node_state", "bogus"], "No matching clause: bogus"),
])
def test_bad_node_queries_are_refused_with_puppetdbs_text(fleet, query, text):
    response = get(fleet, NODES, query=query)
    assert response.status_code == 400
    assert response.body.decode() == text


def test_deactivation_hides_a_node_from_the_default_listing_but_not_from_its_route(fleet):
    response = deactivate(fleet, "b.example", {"certname": "b.example",
                                               "producer_timestamp": "2026-11-22T06:00:00.123456Z"})
    assert response.status_code == 200 and "uuid" in body(response)
    assert [n["certname"] for n in body(get(fleet, NODES))] == ["a.example", "c.example"]
    inactive = body(get(fleet, NODES, query=["=", "node_state", "inactive"]))
    assert [(n["certname"], n["deactivated"]) for n in inactive] == \
        [("b.example", "2026-11-22T06:00:00.123Z")]
    assert len(body(get(fleet, NODES, query=["=", "node_state", "ANY"]))) == 3
    assert body(get(fleet, NODES + "/b.example"))["deactivated"] == "2026-11-22T06:00:00.123Z"
    # node_state anywhere in the query replaces the default (PDB http/query.clj)
    either = ["or", ["=", "certname", "b.example"], ["=", "node_state", "inactive"]]
    assert [n["certname"] for n in body(get(fleet, NODES, query=either))] == ["b.example"]


def test_a_later_report_reactivates_a_deactivated_node(fleet):
    deactivate(fleet, "a.example", {"certname": "a.example",
                                    "producer_timestamp": "2026-11-22T06:00:00Z"})
    fleet.store.store_report(report("a.example", at="2026-11-22T06:30:00.000Z"))
    assert "a.example" in [n["certname"] for n in body(get(fleet, NODES))]


def test_deactivating_an_unknown_node_makes_an_inactive_node_without_a_report(fleet):
    assert deactivate(fleet, "ghost.example").status_code == 200
    ghost = body(get(fleet, NODES + "/ghost.example"))
    assert ghost["deactivated"] is not None and ghost["latest_report_hash"] is None


@pytest.mark.parametrize("payload, reason", [
    ({"certname": 5}, "'certname' must be a non-empty string"),
    ({"producer_timestamp": "2026-11-22T06:00:00Z"}, "'certname' must be a non-empty string"),
    ({"certname": "a.example", "producer_timestamp": "yesterday"},
     "'producer_timestamp' must be a timestamp"),
    ({"certname": "a.example", "extra": 1}, "unknown key 'extra'"),
    ([1], "the payload must be a JSON object"),
])
def test_a_bad_deactivate_command_is_refused_and_changes_nothing(fleet, payload, reason):
    response = deactivate(fleet, "a.example", payload)
    assert response.status_code == 400
    assert body(response)["error"].startswith(
        'Command "deactivate node" for certname "a.example" is invalid. ')
    assert reason in body(response)["error"]
    assert body(get(fleet, NODES + "/a.example"))["deactivated"] is None


def test_only_version_3_of_deactivate_node_is_taken(fleet):
    response = deactivate(fleet, "a.example", version="2")
    assert response.status_code == 400
    assert "Version 2" in body(response)["error"]
    assert body(get(fleet, NODES + "/a.example"))["deactivated"] is None


def test_environments_list_and_one_environment(fleet):
    assert body(get(fleet, ENVIRONMENTS)) == [{"name": "production"}, {"name": "staging"}]
    assert body(get(fleet, ENVIRONMENTS, query=["~", "name", "stag"])) == [{"name": "staging"}]
    assert body(get(fleet, ENVIRONMENTS + "/staging")) == {"name": "staging"}
    missing = get(fleet, ENVIRONMENTS + "/nope")
    assert missing.status_code == 404
    assert body(missing) == {"error": "No information is known about environment nope"}


def test_an_environments_reports_and_events_are_those_of_its_reports(fleet):
    staged = body(get(fleet, ENVIRONMENTS + "/staging/reports"))
    assert [r["certname"] for r in staged] == ["b.example"]
    events = body(get(fleet, ENVIRONMENTS + "/production/events",
                      query=["=", "status", "failure"]))
    assert {e["certname"] for e in events} == {"a.example"}
    assert get(fleet, ENVIRONMENTS + "/nope/reports").status_code == 404
    assert body(get(fleet, ENVIRONMENTS + "/nope/events")) == \
        {"error": "No information is known about environment nope"}


def test_environment_queries_are_refused_with_puppetdbs_text(fleet):
    response = get(fleet, ENVIRONMENTS, query=[">", "name", "a"])
    assert (response.status_code, response.body.decode()) == \
        (400, "Query operators >,>=,<,<= are not allowed on field name")
    response = get(fleet, ENVIRONMENTS, order_by=[{"field": "bogus"}])
    assert response.body.decode() == ("Unrecognized column 'bogus' specified in :order_by; "
                                      "Supported columns are 'name'")


def test_node_state_filters_events_and_reports_only_when_asked(fleet):
    """PuppetDB takes node_state in any query, and adds it by default to nodes only."""
    deactivate(fleet, "a.example", {"certname": "a.example",
                                    "producer_timestamp": "2026-11-22T06:00:00Z"})
    everything = body(get(fleet, "/pdb/query/v4/reports"))
    assert {r["certname"] for r in everything} == {"a.example", "b.example", "c.example"}
    inactive = body(get(fleet, "/pdb/query/v4/events", query=["=", "node_state", "inactive"]))
    assert {e["certname"] for e in inactive} == {"a.example"}
    active = body(get(fleet, "/pdb/query/v4/reports",
                      query=["and", ["=", "node_state", "active"],
                             ["=", "status", "failed"]]))
    assert active == []
    assert body(get(fleet, ENVIRONMENTS, query=["=", "node_state", "any"])) == \
        [{"name": "production"}, {"name": "staging"}]
