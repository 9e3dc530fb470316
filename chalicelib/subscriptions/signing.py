"""Events as CloudEvents 1.0 in structured JSON mode (the `cloudevents` SDK), signed
as Standard Webhooks specifies (the `standardwebhooks` library), and the signing
secrets.

Secrets: HMAC signing needs the secret itself, so a hash cannot be stored. None is
stored at all: a subscription's secret is derived, HMAC-SHA256(key, id + salt), from
a service key kept outside the store (EVENTS_SUBSCRIPTION_KEY; the cloud stack
generates it in Secrets Manager, infra/template.py) and a random salt stored with the
subscription. A copy of the table or of the SQLite file (a backup, a leaked export)
holds no secret and cannot sign; signing needs the store and the key. The secret is
shown once, when the subscription is created, and is the same at every derivation, so
nothing needs decrypting. Changing the key changes every secret (delete and recreate
subscriptions after a rotation). The `local` stage without a key uses a random key in
`subscription.key` beside the SQLite file (0600, made on first use).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from datetime import datetime, timezone
from functools import lru_cache


from ..config import settings

SECRET_PREFIX = "whsec_"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
_KEY_FILE = "subscription.key"
_lock = threading.Lock()


class MissingKey(RuntimeError):
    """No EVENTS_SUBSCRIPTION_KEY outside the local stage: subscriptions cannot sign."""


def new_salt() -> str:
    return secrets.token_hex(16)


def secret_for(subscription_id: str, salt: str) -> str:
    """The subscription's signing secret, `whsec_<base64 of 32 bytes>` (the Standard
    Webhooks form that every verifying library reads)."""
    digest = hmac.new(service_key(), f"subscription-secret\x1f{subscription_id}\x1f{salt}".encode(),
                      hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(digest).decode("ascii")


def service_key() -> bytes:
    config = settings()
    if config.subscription_key:
        return config.subscription_key.encode("utf-8")
    if config.subscription_key_secret:
        return _secrets_manager_key(config.subscription_key_secret)
    if config.stage == "local" or config.storage == "sqlite":
        return _local_key(os.path.join(os.path.dirname(os.path.abspath(config.sqlite_path)),
                                       _KEY_FILE))
    raise MissingKey("EVENTS_SUBSCRIPTION_KEY is not set: subscriptions cannot be signed")


@lru_cache(maxsize=4)
def _secrets_manager_key(secret_id: str) -> bytes:
    """The key the stack generated (infra/template.py SubscriptionKey), read once per process."""
    import boto3
    client = boto3.session.Session().client("secretsmanager")
    return client.get_secret_value(SecretId=secret_id)["SecretString"].encode("utf-8")


def _local_key(path: str) -> bytes:
    with _lock:
        try:
            with open(path, "rb") as existing:
                return existing.read().strip()
        except FileNotFoundError:
            pass
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        key = secrets.token_hex(32).encode("ascii")
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:          # another process made it first: use theirs
            with open(path, "rb") as existing:
                return existing.read().strip()
        with os.fdopen(descriptor, "wb") as created:
            created.write(key)
        return key


def cloud_event(webhook_id: str, event_type: str, source: str, subject: str | None,
                time: str | None, data: object) -> str:
    """The CloudEvent's structured-mode JSON text; its `id` is the webhook-id."""
    # The SDKs load when an event is first made or signed, not at a cold start.
    from cloudevents.core.bindings.http import to_structured_event
    from cloudevents.core.v1.event import CloudEvent
    attributes = {"id": webhook_id, "type": event_type, "source": source,
                  "datacontenttype": "application/json"}
    if subject:
        attributes["subject"] = subject
    if time:
        attributes["time"] = _datetime(time)
    message = to_structured_event(CloudEvent(attributes, data))
    return message.body.decode("utf-8")


def _datetime(text: str) -> datetime:
    # The fixed-width stored form, "2016-05-05T19:50:08.000000Z" (timestamps.stored),
    # read by position: strptime costs more than the rest of an event's build.
    return datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                    int(text[14:16]), int(text[17:19]), int(text[20:26]), tzinfo=timezone.utc)


def signed_headers(secret: str, webhook_id: str, body: str, now: float) -> dict[str, str]:
    """Standard Webhooks headers for one attempt: the id stays, the timestamp is the
    attempt's (receivers refuse timestamps more than 5 minutes off)."""
    from standardwebhooks.webhooks import Webhook
    when = datetime.fromtimestamp(now, timezone.utc)
    signature = Webhook(secret).sign(webhook_id, when, body)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(now)),
            "webhook-signature": signature, "content-type": CONTENT_TYPE}
