"""At ingest, events older than resource-events-ttl are not stored and the report is
(PuppetDB scf/storage.clj filter-expired-resources), over HTTP on both adapters."""
from __future__ import annotations

import json
from datetime import timedelta

from tests.retention_factories import DAY, T0, Clock, lifetimes, millis

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
