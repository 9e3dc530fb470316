"""PuppetDB's population metrics over the Jolokia read API (puppetdb/metrics.py), on
both adapters: what puppetboard reads for its every-environment overview."""
from __future__ import annotations

import json
from pathlib import Path

from chalicelib.puppetdb.ingest import reports

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "puppetdb").glob("store_report_v8_*.json"))
NUM_NODES = "/metrics/v2/read/puppetlabs.puppetdb.population%3Aname%3Dnum-nodes"


def _store_fixtures(store) -> set[str]:
    certnames = set()
    for fixture in FIXTURES:
        report = reports.from_v8(json.loads(fixture.read_text())["body"])
        store.store_report(report)
        certnames.add(report.certname)
    return certnames


def _read(client, path, token=None):
    http = client.http if token is None else client.http_as(token)
    answer = http.get(path)
    assert answer.status_code == 200, answer.body
    return json.loads(answer.body)


def test_num_nodes_counts_the_active_nodes_in_jolokias_read_shape(client, store):
    certnames = _store_fixtures(store)
    body = _read(client, NUM_NODES)
    assert body["value"] == {"Value": len(certnames)}
    assert body["request"] == {"mbean": "puppetlabs.puppetdb.population:name=num-nodes",
                               "type": "read"}
    assert body["status"] == 200 and isinstance(body["timestamp"], int)


def test_a_deactivated_node_is_not_counted(client, store):
    certnames = _store_fixtures(store)
    assert store.deactivate_node(sorted(certnames)[0], "2099-01-01T00:00:00.000Z")
    assert _read(client, NUM_NODES)["value"]["Value"] == len(certnames) - 1


def test_the_service_keeps_no_resources(client, store):
    _store_fixtures(store)
    body = _read(client, "/metrics/v2/read/puppetlabs.puppetdb.population:name=num-resources")
    assert body["value"] == {"Value": 0}


def test_an_unknown_mbean_is_jolokias_instance_not_found(client):
    body = _read(client, "/metrics/v2/read/java.lang:type=Memory")
    assert body["status"] == 404 and "Value" not in json.dumps(body)
    assert body["error"] == "javax.management.InstanceNotFoundException : java.lang:type=Memory"


def test_the_metrics_need_the_puppetdb_read_scope(client):
    reader = client.issue("puppetdb:read")
    assert _read(client, NUM_NODES, token=reader)["status"] == 200
    other = client.issue("activity:read")
    assert client.http_as(other).get(NUM_NODES).status_code == 403
    assert client.http_as(None).get(NUM_NODES).status_code == 401
