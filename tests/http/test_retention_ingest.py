"""At ingest, events older than resource-events-ttl are not stored and the report is
(PuppetDB scf/storage.clj filter-expired-resources), over HTTP on both adapters."""
from __future__ import annotations

import json
from datetime import timedelta

from tests.retention_factories import DAY, T0, Clock, lifetimes, millis, report

FIXTURE = "tests/fixtures/puppetdb/store_report_v8_1.json"


def _body(now):
    body = json.load(open(FIXTURE))["body"]
    body.update(certname="retention-http.example", producer="retention-http.example",
                producer_timestamp=millis(now), start_time=millis(now), end_time=millis(now))
    old, new = body["resources"][0], json.loads(json.dumps(body["resources"][0]))
    for resource, when in ((old, now - 15 * DAY), (new, now - timedelta(hours=1))):
        resource["timestamp"] = millis(when)
        for event in resource["events"]:
            event["timestamp"] = millis(when)
    new["resource_title"] = "recent"
    body["resources"] = [old, new]
    return body


def test_a_report_is_stored_without_its_events_past_resource_events_ttl(client, monkeypatch):
    lifetimes(monkeypatch)
    clock = Clock(monkeypatch, T0 + 30 * DAY)
    response = client.http.post(
        "/pdb/cmd/v1?command=store_report&version=8&certname=retention-http.example",
        body=json.dumps(_body(clock.now)), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.body
    events = json.loads(client.http.get("/pdb/query/v4/events").body)
    assert [e["resource_title"] for e in events] == ["recent"]
    reports = json.loads(client.http.get("/pdb/query/v4/reports").body)
    assert [r["certname"] for r in reports] == ["retention-http.example"]


def _nodes(client, **params):
    from urllib.parse import urlencode
    query = "?" + urlencode({k: json.dumps(v) for k, v in params.items()}) if params else ""
    return json.loads(client.http.get("/pdb/query/v4/nodes" + query).body)


def test_nodes_expire_purge_and_come_back_as_in_puppetdb_over_http(client, monkeypatch):
    """node-ttl: the node leaves the default listing and shows `expired`; a deactivated
    node is purged node-purge-ttl later, reports and all; a node that reports again
    after expiry is active again (PuppetDB's expire-stale-nodes, purge, maybe-activate)."""
    policy = lifetimes(monkeypatch, EVENTS_REPORT_TTL="0", EVENTS_RESOURCE_EVENTS_TTL="0")
    clock = Clock(monkeypatch)
    store = client.store
    store.store_report(report("retention-x.example", T0))
    store.store_report(report("retention-y.example", T0))
    clock.now = T0 + DAY
    response = client.http.post(
        "/pdb/cmd/v1?command=deactivate_node&version=3&certname=retention-y.example",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"certname": "retention-y.example",
                         "producer_timestamp": millis(T0 + DAY)}))
    assert response.status_code == 200, response.body
    clock.now = T0 + 8 * DAY
    store.collect_garbage(clock.now, policy)
    assert _nodes(client) == []
    every = {n["certname"]: n for n in _nodes(client, query=["=", "node_state", "any"])}
    assert every["retention-x.example"]["expired"] == millis(clock.now)
    assert every["retention-y.example"]["deactivated"] == millis(T0 + DAY)
    clock.now = T0 + 16 * DAY
    store.collect_garbage(clock.now, policy)
    every = {n["certname"] for n in _nodes(client, query=["=", "node_state", "any"])}
    assert every == {"retention-x.example"}
    reports = json.loads(client.http.get("/pdb/query/v4/reports").body)
    assert {r["certname"] for r in reports} == {"retention-x.example"}
    store.store_report(report("retention-x.example", clock.now))
    assert [n["certname"] for n in _nodes(client)] == ["retention-x.example"]
