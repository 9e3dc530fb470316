"""Small builders for subscription tests."""
from __future__ import annotations

import dataclasses
import json

from chalicelib.config import settings
from chalicelib.subscriptions import model, signing
from tests import payloads

JSON = {"Content-Type": "application/json"}


def subscription(url="http://127.0.0.1:9/hook", sources=(model.REPORT,), filters=None,
                 sid="0" * 31 + "1", created="2026-01-01T00:00:00.000000Z") -> model.Subscription:
    return model.Subscription(id=sid, url=url, sources=tuple(sources), filters=filters or {},
                              description="", created=created, salt=signing.new_salt())


def delivery(sub: model.Subscription, seq: str, key: str = "n1", created: float = 100.0,
             next_attempt: float | None = None, source: str = model.REPORT) -> model.Delivery:
    return model.Delivery(webhook_id=f"msg_{sub.id}_{key}_{seq}", subscription_id=sub.id,
                          source=source, key=key, seq=seq, body=json.dumps({"seq": seq}),
                          created=created,
                          next_attempt=created if next_attempt is None else next_attempt)


def local_config(**changes):
    """The `local` stage's settings (outside a request the stage's variables are unset)."""
    return dataclasses.replace(settings(), stage="local", **changes)


def failed_report(certname: str, run: int, events: int = 2) -> dict:
    body = payloads.report(certname, run, events)
    body["status"] = "failed"
    body["resources"][0]["events"][0]["status"] = "failure"
    return body


def subscribe(http, url: str, sources, filter=None) -> dict:
    body = {"url": url, "sources": list(sources)}
    if filter is not None:
        body["filter"] = filter
    response = http.post("/subscriptions", headers=JSON, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return json.loads(response.body)
