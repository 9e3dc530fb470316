"""Subscriptions end to end in one process, on both adapters: writes over the HTTP
API, a real receiver on 127.0.0.1 verifying every request with `standardwebhooks`,
and the backend's own path to it (SQLite: the outbox and the dispatcher's cycle;
DynamoDB: moto's stream records fed to the stream handler). Time is an injected
clock, so "30 s down" and "24 h of retries" take no wall time."""
from __future__ import annotations

import json
import time

import pytest

from chalicelib.storage.dynamodb import DynamoStorage
from chalicelib.subscriptions import delivery, dispatcher, model, stream
from tests import payloads
from tests.factories import job_payload
from tests.receiver import Receiver
from tests.stream_feeder import StreamFeeder
from tests.subscription_factories import JSON, failed_report, local_config, subscribe


class Clock:
    """Starts at the real time: the receiver checks webhook-timestamp against its own
    clock (Standard Webhooks' 5 minutes), so a test moves it less than that."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Pump:
    """Moves what the writes queued to the receiver, as the backend's own path does."""

    def __init__(self, store, clock, **settings):
        self.store, self.clock = store, clock
        self.config = local_config(**settings)
        self.feeder = StreamFeeder(store) if isinstance(store, DynamoStorage) else None

    def __call__(self) -> int:
        if self.feeder:
            done = self.feeder.feed(self.store, stream.handle, clock=self.clock, config=self.config)
            return done + delivery.dispatch(self.store, self.clock, self.config)
        return dispatcher.cycle(self.store, self.clock, self.config)


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.stop()


def _post_report(client, body):
    response = client.http.post(payloads.report_path(body["certname"]), headers=payloads.JSON,
                                body=json.dumps(body))
    assert response.status_code == 200, response.body


def test_each_stored_failed_report_arrives_once_as_a_signed_cloudevent(client, receiver):
    created = subscribe(client.http, receiver.url, [model.REPORT], ["=", "status", "failed"])
    receiver.secret = created["secret"]
    pump = Pump(client.store, Clock())
    pump()       # the DynamoDB stream's earlier records (the subscription itself) go by
    _post_report(client, failed_report("a.example", 1))
    _post_report(client, payloads.report("a.example", 2))          # changed: filtered out
    _post_report(client, failed_report("b.example", 3))
    _post_report(client, failed_report("a.example", 1))            # the same report again
    pump()
    pump()
    assert receiver.refused == []
    events = [r["event"] for r in receiver.received]
    assert len(events) == 2 == len(receiver.requests)
    assert sorted(e["subject"] for e in events) == ["a.example", "b.example"]
    for item in receiver.received:
        event = item["event"]
        assert event["specversion"] == "1.0" and event["type"] == "com.puppet.events.puppetdb.report"
        assert event["id"] == item["headers"]["webhook-id"]
        assert item["headers"]["content-type"].startswith("application/cloudevents+json")
        assert event["data"]["status"] == "failed"
        assert event["data"]["event_counts"] == {"failures": 1, "successes": 1, "noops": 0, "skips": 0}
        assert event["source"] == "/pdb/query/v4/reports/" + event["data"]["hash"]


def test_a_receiver_down_then_back_gets_every_event_in_order_with_repeats_under_one_id(client, receiver):
    created = subscribe(client.http, receiver.url, [model.REPORT])
    receiver.secret = created["secret"]
    clock = Clock()
    pump = Pump(client.store, clock, subscription_retry_base=1.0, subscription_retry_max=8.0)
    pump()
    receiver.stop()                                   # down: connections refused
    for run in range(1, 6):
        _post_report(client, payloads.report("a.example", run))
    for _ in range(30):                               # 30 s down
        pump()
        clock.now += 1
    assert receiver.received == []
    receiver.start()
    receiver.status = 503                             # back, but failing for a while
    for _ in range(5):
        pump()
        clock.now += 10
    receiver.status = 204
    for _ in range(10):
        pump()
        clock.now += 10
    times = [r["event"]["data"]["producer_timestamp"] for r in receiver.received]
    assert times == sorted(times) and len(times) == 5
    assert len({r["event"]["id"] for r in receiver.received}) == 5
    bodies: dict[str, set] = {}
    for headers, body in receiver.requests:
        bodies.setdefault(headers["webhook-id"], set()).add(body)
    assert len(bodies) == 5 and all(len(b) == 1 for b in bodies.values())
    assert len(receiver.requests) > 5                 # the 503s were retried, same ids


def _dead_lettered(client, receiver):
    """A subscription whose one delivery (a.example's failed report) the receiver
    refused with 500 past the 60 s horizon: (the subscription, its pump)."""
    created = subscribe(client.http, receiver.url, [model.REPORT])
    receiver.secret = created["secret"]
    clock = Clock()
    pump = Pump(client.store, clock, subscription_retry_horizon=60.0, subscription_retry_base=5.0)
    pump()
    receiver.status = 500
    _post_report(client, failed_report("a.example", 1))
    for _ in range(20):
        pump()
        clock.now += 10
    return created, pump


def test_past_the_horizon_a_delivery_is_a_dead_letter_that_replays_under_its_id(client, receiver):
    created, pump = _dead_lettered(client, receiver)
    letters = json.loads(client.http.get(f"/subscriptions/{created['id']}/dead-letters").body)["items"]
    assert len(letters) == 1 and letters[0]["last_error"] == "HTTP 500"
    assert letters[0]["event"]["data"]["certname"] == "a.example"
    receiver.status = 204
    replayed = client.http.post(f"/subscriptions/{created['id']}/dead-letters/replay")
    assert json.loads(replayed.body)["replayed"] == [letters[0]["id"]]
    pump()
    assert [r["event"]["id"] for r in receiver.received] == [letters[0]["id"]]
    assert json.loads(client.http.get(f"/subscriptions/{created['id']}/dead-letters").body)["items"] == []


@pytest.mark.parametrize("body", [{"bogus": 1}, {"id": ["x"]}, {"ids": [], "all": True}])
def test_a_replay_body_with_an_unknown_key_is_a_400_and_replays_nothing(client, receiver, body):
    created, pump = _dead_lettered(client, receiver)
    letters_path = f"/subscriptions/{created['id']}/dead-letters"
    assert len(json.loads(client.http.get(letters_path).body)["items"]) == 1
    response = client.http.post(letters_path + "/replay", headers=JSON, body=json.dumps(body))
    assert response.status_code == 400, response.body
    error = json.loads(response.body)
    assert error["kind"] == "puppet-events.subscriptions/validation-error"
    assert "unknown keys" in error["msg"] and [k for k in body if k != "ids"][0] in error["msg"]
    assert len(json.loads(client.http.get(letters_path).body)["items"]) == 1
    everything = client.http.post(letters_path + "/replay", headers=JSON, body="{}")
    assert len(json.loads(everything.body)["replayed"]) == 1


def test_job_events_commits_and_resource_events_are_filtered_in_their_own_language(client, receiver):
    jobs = subscribe(client.http, receiver.url, [model.JOB_EVENT], ["=", "type", "node_failed"])
    commits = subscribe(client.http, receiver.url, [model.COMMIT], ["=", "service_id", "rbac"])
    events = subscribe(client.http, receiver.url, [model.EVENT], ["=", "status", "failure"])
    pump = Pump(client.store, Clock())
    pump()
    job = client.http.post("/orchestrator/v1/jobs", headers=JSON,
                           body=json.dumps(job_payload(("a.example",))))
    assert job.status_code == 201, job.body
    number = json.loads(job.body)["job"]["name"]
    for kind in ("node_running", "node_failed"):
        answer = client.http.post(f"/orchestrator/v1/jobs/{number}/events", headers=JSON,
                                  body=json.dumps({"events": [{"type": kind, "message": kind,
                                                               "details": {"node": "a.example"}}]}))
        assert answer.status_code == 201, answer.body
    for service in ("rbac", "classifier"):
        answer = client.http.post("/activity-api/v2/events", headers=JSON,
                                  body=json.dumps(payloads.commit("c-" + service, service)))
        assert answer.status_code == 201, answer.body
    _post_report(client, failed_report("a.example", 1))
    pump()
    pump()
    by_type = {}
    for item in receiver.received:
        by_type.setdefault(item["event"]["type"], []).append(item["event"])
    assert [e["data"]["type"] for e in by_type["com.puppet.events.orchestrator.job_event"]] == ["node_failed"]
    assert [e["data"]["service_id"] for e in by_type["com.puppet.events.activity.commit"]] == ["rbac"]
    assert [(e["data"]["status"], e["data"]["resource_type"])
            for e in by_type["com.puppet.events.puppetdb.event"]] == [("failure", "File")]
    assert len(receiver.received) == 3 and {jobs["id"], commits["id"], events["id"]}


def test_a_deleted_subscription_gets_nothing_more(client, receiver):
    created = subscribe(client.http, receiver.url, [model.REPORT])
    pump = Pump(client.store, Clock())
    pump()
    _post_report(client, failed_report("a.example", 1))
    assert client.http.delete(f"/subscriptions/{created['id']}").status_code == 204
    pump()
    assert receiver.requests == []
