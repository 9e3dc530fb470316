"""pypuppetdb 3.2.0, a real PuppetDB client, against `chalice local` (SQLite and
DynamoDB on moto), with the fixture reports from a real Puppet 7 run loaded through
POST /pdb/cmd/v1 (notes 5.1: what pypuppetdb requests and parses)."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pypuppetdb
import pytest
import requests

from chalicelib.puppetdb import PUPPETDB_VERSION
from pypuppetdb.QueryBuilder import AndOperator, EqualsOperator

pytestmark = pytest.mark.e2e

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "puppetdb").glob("store_report_v8_*.json"))


def puppetdb_client(base_url: str, token: str):
    """The one place pypuppetdb is built: pypuppetdb sends its own HTTP, with the
    token in X-Authentication (its `token=` kwarg; a token alone would make it
    choose https, so the protocol is named)."""
    address = urlparse(base_url)
    return pypuppetdb.connect(host=address.hostname, port=address.port, protocol="http",
                              token=token, ssl_verify=False, timeout=30)


@pytest.fixture(scope="module")
def db(served, http):
    for fixture in FIXTURES:
        recorded = json.loads(fixture.read_text())
        url = served + recorded["request"]["path"] + "?" + urlencode(recorded["request"]["query"])
        response = http.post(url, data=json.dumps(recorded["body"]), timeout=30,
                             headers={"Content-Type": "application/json; charset=utf-8"})
        assert response.status_code == 200, response.text
    return puppetdb_client(served, http.headers["X-Authentication"])


def test_the_client_reads_the_puppetdb_version(db):
    assert db.current_version() == PUPPETDB_VERSION


def test_events_parse_into_pypuppetdb_events(db):
    query = AndOperator()
    query.add([EqualsOperator("certname", "node-a.anchor.test"), EqualsOperator("status", "failure")])
    events = list(db.events(query=query))
    assert len(events) == 2
    assert all(e.failed and e.node == "node-a.anchor.test" for e in events)
    assert {e.item["title"] for e in events} == {"always-fails"}
    assert all(e.timestamp.tzinfo is not None for e in events)


def test_reports_parse_with_metrics_and_logs(db):
    reports = list(db.reports(query=EqualsOperator("certname", "node-b.anchor.test"),
                              order_by=json.dumps([{"field": "producer_timestamp",
                                                    "order": "desc"}])))
    assert [r.version for r in reports] == ["1795324027", "1795324024", "1795324020"]
    newest = reports[0]
    assert newest.status == "noop"        # pypuppetdb: noop run with pending noop events
    assert newest.agent_version == "7.23.0" and newest.format_ == 12
    assert newest.run_time.total_seconds() > 0
    assert {m["name"] for m in newest.metrics} >= {"total", "changed", "failed"}
    # log times as Puppet sent them, as PuppetDB 7 answers them (tests/conformance)
    assert newest.logs and all(log["time"].endswith("+00:00") for log in newest.logs)


def test_a_reports_events_come_from_its_hash(db):
    (report,) = db.reports(query=EqualsOperator("configuration_version", "1795324011"))
    events = list(report.events())
    assert len(events) == 13
    assert {e.hash_ for e in events} == {report.hash_}
    assert sum(e.status == "skipped" for e in events) == 1


def test_include_total_sets_the_clients_total(db):
    page = list(db.events(query=EqualsOperator("resource_type", "Exec"), limit=3,
                          include_total=True))
    assert len(page) == 3 and db.total == 14


def test_event_counts_summarise_by_certname(db):
    counts = db.event_counts(summarize_by="certname", query=EqualsOperator("latest_report?", False))
    assert {c["subject"]["title"]: (c["failures"], c["skips"]) for c in counts} == {
        "node-a.anchor.test": (2, 2), "node-b.anchor.test": (2, 2)}


def test_nodes_and_one_node_parse_into_pypuppetdb_nodes(db):
    """Issue 14: pypuppetdb's db.nodes() and db.node(name) over /pdb/query/v4/nodes."""
    listed = {node.name: node for node in db.nodes()}
    assert set(listed) == {"node-a.anchor.test", "node-b.anchor.test"}
    node = db.node("node-b.anchor.test")
    assert node.name == "node-b.anchor.test"
    assert node.report_environment == "production" and node.catalog_environment is None
    assert node.report_timestamp is not None and not node.deactivated
    assert node.latest_report_hash == listed["node-b.anchor.test"].latest_report_hash
    failed = list(db.nodes(query=EqualsOperator("latest_report_status", "unchanged")))
    assert {n.name for n in failed} == {"node-a.anchor.test", "node-b.anchor.test"}


def test_pql_through_the_client(db):
    """pypuppetdb's db.pql(): PQL at /pdb/query/v4; a projection gives plain dicts,
    `reports {...}` Report objects."""
    rows = list(db.pql('events[certname, status, resource_title] { status = "failure" }'))
    assert rows and all(set(r) == {"certname", "status", "resource_title"} for r in rows)
    assert {r["resource_title"] for r in rows} == {"always-fails"}
    reports = list(db.pql('reports { certname = "node-b.anchor.test" '
                          "order by producer_timestamp desc }"))
    assert [r.version for r in reports] == ["1795324027", "1795324024", "1795324020"]
    (count,) = db.pql("reports[count()] {}")
    assert count == {"count": 6}


# --- issue 14: PQL, nodes and one node, as pypuppetdb 3.2.0 asks for them ---------------
# (answers checked against a real PuppetDB 7.12.1 holding the same reports)

def test_pql_with_a_projection_answers_plain_rows(db):
    rows = list(db.pql('events[certname, status, resource_title] '
                       '{ status = "failure" and certname = "node-a.anchor.test" }'))
    assert rows == [{"certname": "node-a.anchor.test", "status": "failure",
                     "resource_title": "always-fails"}] * 2


def test_pql_reports_parse_into_pypuppetdb_reports(db):
    reports = list(db.pql('reports { certname = "node-b.anchor.test" order by producer_timestamp desc }'))
    assert [(r.version, r.status) for r in reports] == [
        ("1795324027", "noop"), ("1795324024", "failed"), ("1795324020", "failed")]
    assert all(r.node == "node-b.anchor.test" and r.metrics for r in reports)


def test_pql_nodes_parse_into_pypuppetdb_nodes(db):
    nodes = list(db.pql('nodes { certname ~ "anchor" order by certname }'))
    assert [n.name for n in nodes] == ["node-a.anchor.test", "node-b.anchor.test"]
    assert all(n.status == "noop" and n.report_timestamp.tzinfo is not None for n in nodes)


def test_pql_group_by_counts(db):
    counts = list(db.pql('events[status, count()] { certname = "node-a.anchor.test" group by status }'))
    assert sorted((c["status"], c["count"]) for c in counts) == [
        ("failure", 2), ("noop", 11), ("skipped", 2), ("success", 16)]


def test_nodes_with_their_status_and_latest_event_counts(db):
    nodes = list(db.nodes(with_status=True, unreported=24 * 3650))
    assert {n.name: (n.status, n.events["noops"], n.events["failures"]) for n in nodes} == {
        "node-a.anchor.test": ("noop", 9, 0), "node-b.anchor.test": ("noop", 9, 0)}
    assert not any(n.deactivated or n.expired for n in nodes)


def test_nodes_take_a_query(db):
    nodes = list(db.nodes(query=EqualsOperator("latest_report_status", "unchanged")))
    assert sorted(n.name for n in nodes) == ["node-a.anchor.test", "node-b.anchor.test"]
    assert list(db.nodes(query=EqualsOperator("latest_report_status", "failed"))) == []


def test_one_node_carries_its_latest_report(db):
    node = db.node("node-a.anchor.test")
    (latest,) = db.reports(query=EqualsOperator("configuration_version", "1795324017"))
    assert (node.name, node.latest_report_hash, node.report_environment) == (
        "node-a.anchor.test", latest.hash_, "production")
    assert node.facts_timestamp is None and node.catalog_timestamp is None


def test_an_unknown_node_is_a_404(db):
    with pytest.raises(requests.HTTPError) as error:
        db.node("nowhere.anchor.test")
    assert error.value.response.status_code == 404
    assert error.value.response.json() == {"error": "No information is known about node nowhere.anchor.test"}


def test_status_says_running_with_the_puppetdb_version(db):
    status = db.status()      # GET /status/v1/services/puppetdb-status
    assert (status["state"], status["service_version"], status["service_name"]) == (
        "running", PUPPETDB_VERSION, "puppetdb-status")
