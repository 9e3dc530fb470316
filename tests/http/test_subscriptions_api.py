"""/subscriptions over HTTP on both adapters: what a POST accepts and refuses (in
the service's JSON error format), the secret shown once, reads, deletes, the admin
scope, and the cloud stage's URL rules."""
from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import serving
from tests.receiver import Receiver
from tests.subscription_factories import JSON, subscribe

KIND = "puppet-events.subscriptions/"


def _post(http, body):
    return http.post("/subscriptions", headers=JSON, body=json.dumps(body))


def test_a_new_subscription_answers_its_secret_once(client):
    created = subscribe(client.http, "http://127.0.0.1:9/hook", ["puppetdb.report"],
                        ["=", "status", "failed"])
    assert created["secret"].startswith("whsec_")
    Webhook(created["secret"])                       # a secret standardwebhooks reads
    assert created["filter"] == {"puppetdb.report": ["=", "status", "failed"]}
    shown = json.loads(client.http.get(f"/subscriptions/{created['id']}").body)
    assert "secret" not in shown and shown["url"] == "http://127.0.0.1:9/hook"
    listed = json.loads(client.http.get("/subscriptions").body)["items"]
    assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]


def test_no_secret_is_stored(client):
    created = subscribe(client.http, "http://127.0.0.1:9/hook", ["activity.commit"])
    stored = client.store.get_subscription(created["id"])
    assert created["secret"] not in repr(stored)
    assert created["secret"][len("whsec_"):] not in repr(stored)


@pytest.mark.parametrize("body, text", [
    ({"sources": ["puppetdb.report"]}, "url must be a non-empty string"),
    ({"url": "http://127.0.0.1:9/", "sources": []}, "sources must be a non-empty array"),
    ({"url": "http://127.0.0.1:9/", "sources": ["puppetdb.nodes"]}, "sources must be a non-empty array"),
    ({"url": "http://127.0.0.1:9/", "sources": ["puppetdb.report", "puppetdb.report"]}, "repeat"),
    ({"url": "ftp://127.0.0.1/", "sources": ["puppetdb.report"]}, "scheme must be http or https"),
    ({"url": "http://127.0.0.1:9/", "sources": ["puppetdb.report"], "colour": 1}, "unknown keys: colour"),
    ({"url": "http://127.0.0.1:9/", "sources": ["puppetdb.report"], "filter": ["=", "nosuch", 1]},
     "Invalid filter for puppetdb.report: 'nosuch' is not a queryable object for reports"),
    ({"url": "http://127.0.0.1:9/", "sources": ["puppetdb.report"],
      "filter": ["=", "latest_report?", True]}, "latest_report? cannot filter a subscription"),
    ({"url": "http://127.0.0.1:9/", "sources": ["puppetdb.report"],
      "filter": ["=", "node_state", "active"]}, "node_state cannot filter a subscription"),
    ({"url": "http://127.0.0.1:9/", "sources": ["puppetdb.event"],
      "filter": ["and", ["=", "status", "failure"], ["not", ["=", "node_state", "inactive"]]]},
     "node_state cannot filter a subscription"),
    ({"url": "http://127.0.0.1:9/", "sources": ["orchestrator.job_event"],
      "filter": ["<", "type", "x"]}, "< cannot be applied to type"),
    ({"url": "http://127.0.0.1:9/", "sources": ["activity.commit"],
      "filter": {"puppetdb.report": ["=", "status", "failed"]}}, "filter names sources the subscription lacks"),
    ({"url": "http://127.0.0.1:9/", "sources": ["activity.commit", "puppetdb.report"],
      "filter": ["=", "service_id", "rbac"]}, "Invalid filter for puppetdb.report"),
])
def test_a_bad_subscription_is_a_400_and_stores_nothing(client, body, text):
    response = _post(client.http, body)
    assert response.status_code == 400, response.body
    error = json.loads(response.body)
    assert error["kind"] == KIND + "validation-error" and text in error["msg"], error
    assert client.store.list_subscriptions() == []


@pytest.mark.parametrize("url", ["http://[::1/hook", "http://::1]/hook", "http://[abc]/hook"])
def test_a_malformed_url_is_a_400_not_a_server_error(client, url):
    response = _post(client.http, {"url": url, "sources": ["puppetdb.report"]})
    assert response.status_code == 400, response.body
    error = json.loads(response.body)
    assert error["kind"] == KIND + "validation-error" and "not a valid URL" in error["msg"], error
    assert client.store.list_subscriptions() == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hook\r\nX-Injected: 1",
                                 "http://127.0.0.1:9000/ho\nok", "http://127.0.0.1:9000/a\tb",
                                 "http://127.0.0.1:9000/a b", "http://127.0.0.1:9000/a\x00",
                                 "http://127.0.0.1:9000/a\x7f", "\x01http://127.0.0.1:9000/"])
def test_a_url_with_a_control_character_or_space_is_refused_at_creation(client, url):
    response = _post(client.http, {"url": url, "sources": ["puppetdb.report"]})
    assert response.status_code == 400, response.body
    assert "space or a control character" in json.loads(response.body)["msg"]
    assert client.store.list_subscriptions() == []


def test_a_body_that_is_not_json_is_a_400(client):
    response = client.http.post("/subscriptions", headers=JSON, body="{")
    assert response.status_code == 400
    assert json.loads(response.body)["kind"] == KIND + "validation-error"


def test_an_unknown_subscription_is_a_404_in_json(client):
    for method, path in (("GET", "/subscriptions/" + "f" * 32), ("DELETE", "/subscriptions/nope"),
                         ("POST", "/subscriptions/nope/test"),
                         ("GET", "/subscriptions/nope/dead-letters"),
                         ("POST", "/subscriptions/nope/dead-letters/replay")):
        response = client.http.request(method, path, headers=JSON, body=b"")
        assert response.status_code == 404, (method, path)
        assert json.loads(response.body)["kind"] == KIND + "unknown-subscription"


def test_delete_removes_the_subscription(client):
    created = subscribe(client.http, "http://127.0.0.1:9/hook", ["puppetdb.event"])
    assert client.http.delete(f"/subscriptions/{created['id']}").status_code == 204
    assert client.http.get(f"/subscriptions/{created['id']}").status_code == 404


def test_the_test_route_sends_one_verifiable_event(client):
    receiver = Receiver()
    try:
        created = subscribe(client.http, receiver.url, ["puppetdb.report"])
        receiver.secret = created["secret"]
        answer = json.loads(client.http.post(f"/subscriptions/{created['id']}/test").body)
        assert answer["delivered"] is True and answer["error"] is None
        (item,) = receiver.received
        assert item["event"]["type"] == "com.puppet.events.subscription.test"
        assert item["headers"]["webhook-id"] == answer["webhook_id"] == item["event"]["id"]
        receiver.stop()
        answer = json.loads(client.http.post(f"/subscriptions/{created['id']}/test").body)
        assert answer["delivered"] is False and "Connection refused" in answer["error"]
    finally:
        receiver.stop()


def test_subscriptions_need_the_admin_scope(client):
    reader = client.http_as(client.issue("puppetdb:read", "puppetdb:write"))
    response = reader.get("/subscriptions")
    assert response.status_code == 403
    assert json.loads(response.body)["kind"] == "puppetlabs.rbac/permission-denied"


@pytest.mark.parametrize("url, text", [
    ("http://hooks.example.com/", "scheme must be https"),
    ("https://127.0.0.1/hook", "not a public address"),
    ("https://10.1.2.3/hook", "not a public address"),
    ("https://192.168.1.1/hook", "not a public address"),
    ("https://169.254.169.254/latest/meta-data", "not a public address"),
    ("https://[::1]/hook", "not a public address"),
    ("https://[::ffff:127.0.0.1]/hook", "not a public address"),
    ("https://localhost/hook", "local or metadata name"),
    ("https://metadata.google.internal/", "local or metadata name"),
    ("https://user:pw@93.184.215.14/", "no user or password"),
    ("https://" + "a" * 64 + ".example.com/", "is not a valid host name"),
])
def test_the_cloud_stage_refuses_plain_http_and_private_addresses(store, url, text):
    with serving(store, "prod") as prod:
        response = _post(prod.http, {"url": url, "sources": ["puppetdb.report"]})
    assert response.status_code == 400, response.body
    assert text in json.loads(response.body)["msg"]


def test_the_cloud_stage_accepts_a_public_https_address(store, monkeypatch):
    monkeypatch.setenv("EVENTS_SUBSCRIPTION_KEY", "k" * 64)
    with serving(store, "prod") as prod:
        response = _post(prod.http, {"url": "https://93.184.215.14/hook", "sources": ["puppetdb.report"]})
    assert response.status_code == 201, response.body


def test_the_cloud_stage_allows_private_addresses_when_set(store, monkeypatch):
    monkeypatch.setenv("EVENTS_SUBSCRIPTION_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("EVENTS_SUBSCRIPTION_KEY", "k" * 64)
    with serving(store, "prod") as prod:
        assert _post(prod.http, {"url": "https://10.1.2.3/hook",
                                 "sources": ["puppetdb.report"]}).status_code == 201
        assert _post(prod.http, {"url": "http://10.1.2.3/hook",
                                 "sources": ["puppetdb.report"]}).status_code == 400


def test_the_cloud_stage_without_a_key_cannot_make_subscriptions(store, monkeypatch):
    monkeypatch.delenv("EVENTS_SUBSCRIPTION_KEY", raising=False)
    monkeypatch.setenv("EVENTS_STORAGE", "dynamodb")
    with serving(store, "prod") as prod:
        response = _post(prod.http, {"url": "https://93.184.215.14/hook", "sources": ["puppetdb.report"]})
    assert response.status_code == 503
    assert "EVENTS_SUBSCRIPTION_KEY" in json.loads(response.body)["msg"]
    assert store.list_subscriptions() == []
