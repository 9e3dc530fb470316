"""A setting the service cannot read answers every route with a 500 in that API's
own format, and the log names the setting (chalicelib/errors.py render_errors); nothing
is stored."""
from __future__ import annotations

import json

import pytest

ROUTES = [
    ("/orchestrator/v1/jobs", "puppetlabs.orchestrator/server-error"),
    ("/activity-api/v2/events", "puppetlabs.activity/server-error"),
    ("/pdb/query/v4/events", None),                 # PuppetDB: plain text
    ("/status/v1/simple", None),
]


@pytest.mark.parametrize("path, kind", ROUTES)
def test_an_unreadable_setting_is_a_500_in_the_api_format(client, monkeypatch, caplog, path, kind):
    monkeypatch.setenv("EVENTS_REPORT_TTL", "14x")
    response = client.http.get(path)
    assert response.status_code == 500
    text = response.body.decode()
    if kind:
        assert json.loads(text)["kind"] == kind
    assert "settings are invalid" in text and "14x" not in text
    assert "EVENTS_REPORT_TTL: '14x' is not a duration" in caplog.text


def test_an_unreadable_setting_stores_nothing(client, store, monkeypatch):
    monkeypatch.setenv("EVENTS_GC_INTERVAL", "abc")
    response = client.http.post("/activity-api/v2/events", headers={"Content-Type": "application/json"},
                                body=json.dumps({"commit": {
                                    "service": {"id": "rbac"}, "subject": {"id": "1", "name": "a"},
                                    "objects": [{"id": "o", "name": "o", "type": "user"}],
                                    "ip_address": "10.0.0.1",
                                    "events": [{"type": "t", "what": "w", "description": "d",
                                                "message": "m"}]}}))
    assert response.status_code == 500
    monkeypatch.delenv("EVENTS_GC_INTERVAL")
    assert client.http.get("/activity-api/v2/events").status_code == 200
    assert json.loads(client.http.get("/activity-api/v2/events").body)["commits"] == []
