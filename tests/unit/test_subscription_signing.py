"""Signing secrets, CloudEvents, Standard Webhooks headers, backoff and filters of
webhook subscriptions (chalicelib/subscriptions), without a store."""
from __future__ import annotations

import dataclasses
import json
import os
import stat
import time

import boto3
import pytest
from moto import mock_aws
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib.config import settings
from chalicelib.errors import ApiError
from chalicelib.subscriptions import delivery, filters, model, signing


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("EVENTS_SUBSCRIPTION_KEY", "service-key-" + "x" * 40)


def test_a_secret_is_the_same_at_every_derivation_and_differs_per_salt_and_key(key, monkeypatch):
    secret = signing.secret_for("a" * 32, "salt-1")
    assert secret == signing.secret_for("a" * 32, "salt-1") and secret.startswith("whsec_")
    assert secret != signing.secret_for("a" * 32, "salt-2")
    assert secret != signing.secret_for("b" * 32, "salt-1")
    monkeypatch.setenv("EVENTS_SUBSCRIPTION_KEY", "another key")
    assert secret != signing.secret_for("a" * 32, "salt-1")


def test_the_local_key_is_made_once_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("EVENTS_SUBSCRIPTION_KEY", raising=False)
    monkeypatch.setenv("EVENTS_SQLITE_PATH", str(tmp_path / "data" / "events.db"))
    monkeypatch.setenv("EVENTS_STAGE", "local")
    first = signing.secret_for("a" * 32, "salt")
    path = tmp_path / "data" / "subscription.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert signing.secret_for("a" * 32, "salt") == first


def test_the_cloud_key_comes_from_secrets_manager(monkeypatch):
    monkeypatch.delenv("EVENTS_SUBSCRIPTION_KEY", raising=False)
    monkeypatch.setenv("EVENTS_STAGE", "prod")
    monkeypatch.setenv("EVENTS_STORAGE", "dynamodb")
    with mock_aws():
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="key", SecretString="generated-key")["ARN"]
        monkeypatch.setenv("EVENTS_SUBSCRIPTION_KEY_SECRET", arn)
        from_secret = signing.secret_for("a" * 32, "salt")
    monkeypatch.delenv("EVENTS_SUBSCRIPTION_KEY_SECRET")
    monkeypatch.setenv("EVENTS_SUBSCRIPTION_KEY", "generated-key")
    assert signing.secret_for("a" * 32, "salt") == from_secret


def test_no_key_outside_the_local_stage_is_an_error(monkeypatch):
    for name in ("EVENTS_SUBSCRIPTION_KEY", "EVENTS_SUBSCRIPTION_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EVENTS_STAGE", "prod")
    monkeypatch.setenv("EVENTS_STORAGE", "dynamodb")
    with pytest.raises(signing.MissingKey):
        signing.secret_for("a" * 32, "salt")


def test_a_signed_cloudevent_verifies_and_a_changed_byte_does_not(key):
    secret = signing.secret_for("a" * 32, "salt")
    body = signing.cloud_event("msg_1", "com.puppet.events.puppetdb.report", "/pdb/query/v4/reports/h",
                               "node.example", "2026-11-22T10:00:00.123000Z", {"status": "failed"})
    event = json.loads(body)
    assert event == {"specversion": "1.0", "id": "msg_1", "type": "com.puppet.events.puppetdb.report",
                     "source": "/pdb/query/v4/reports/h", "subject": "node.example",
                     "time": "2026-11-22T10:00:00.123000Z", "datacontenttype": "application/json",
                     "data": {"status": "failed"}}
    headers = signing.signed_headers(secret, "msg_1", body, time.time())
    assert Webhook(secret).verify(body, headers) == event
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("failed", "changed"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "msg_2"})


def test_the_webhook_id_is_fixed_by_subscription_and_record():
    record = {"id": 7, "job": 1}
    first = model.webhook_id("s1", model.JOB_EVENT, record)
    assert first == model.webhook_id("s1", model.JOB_EVENT, dict(record))
    assert first != model.webhook_id("s2", model.JOB_EVENT, record)
    assert first != model.webhook_id("s1", model.JOB_EVENT, {"id": 8, "job": 1})


def test_backoff_doubles_with_jitter_up_to_the_ceiling():
    config = dataclasses.replace(settings(), subscription_retry_base=2.0, subscription_retry_max=60.0)
    for attempts, ceiling in ((1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0)):
        waits = [delivery.backoff(attempts, config) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits), (attempts, waits)
        assert len(set(waits)) > 1


def test_filters_evaluate_each_source_in_its_own_language():
    failed = filters.matcher({"puppetdb.event": ["and", ["=", "status", "failure"],
                                                 ["~", "resource_title", "^/etc"]]}, model.EVENT)
    assert failed({"status": "failure", "resource_title": "/etc/hosts", "containment_path": "[]"})
    assert not failed({"status": "success", "resource_title": "/etc/hosts"})
    node = filters.matcher({"orchestrator.job_event": ["in", "node", ["a.example", "b.example"]]},
                           model.JOB_EVENT)
    assert node({"type": "node_failed", "details": {"node": "a.example"}})
    assert not node({"type": "node_failed", "details": {"node": "c.example"}})
    since = filters.matcher({"activity.commit": [">=", "timestamp", "2026-01-01T00:00:00Z"]},
                            model.COMMIT)
    assert since({"timestamp": "2026-02-01T00:00:00.000000Z", "objects": [], "subject": {}})
    assert not since({"timestamp": "2025-02-01T00:00:00.000000Z", "objects": [], "subject": {}})


@pytest.mark.parametrize("source, query, text", [
    ("orchestrator.job_event", ["=", "nosuch", 1], "'nosuch' is not a queryable field"),
    ("orchestrator.job_event", ["=", "job", "1"], "job takes an integer"),
    ("activity.commit", ["~", "service_id", "("], "invalid regular expression"),
    ("activity.commit", ["between", "sequence", 1], "is not a valid operator"),
    ("puppetdb.event", ["~", "line", 1], "line"),
])
def test_bad_filters_are_refused_with_the_sources_name(source, query, text):
    with pytest.raises(ApiError) as refused:
        filters.parse(source, query)
    assert refused.value.status == 400 and text in refused.value.msg
    assert refused.value.msg.startswith(f"Invalid filter for {source}")
