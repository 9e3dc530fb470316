"""A delivery connects to the address the URL check vetted (chalicelib/subscriptions/
urls.py, delivery.py): a host that resolves to a public address for the check and to
loopback a moment later (DNS rebinding) does not lead the request inside."""
from __future__ import annotations

import dataclasses
import socket

import pytest

from chalicelib.config import settings
from chalicelib.subscriptions import delivery, urls
from tests.subscription_factories import delivery as make_delivery
from tests.subscription_factories import subscription

PUBLIC = "93.184.215.14"


@pytest.fixture
def rebinding(monkeypatch):
    """hooks.example.com resolves to PUBLIC once, then to 127.0.0.1; every connection
    attempt is recorded and refused (no network here)."""
    answers = iter([PUBLIC])
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "hooks.example.com":
            host = next(answers, "127.0.0.1")
        return real(host, *args, **kwargs)

    attempts = []

    def create_connection(address, *args, **kwargs):
        attempts.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setenv("EVENTS_SUBSCRIPTION_KEY", "k" * 64)
    return attempts


def test_the_attempt_connects_to_the_checked_address_not_a_second_lookup(rebinding):
    config = dataclasses.replace(settings(), stage="prod", subscription_allow_private=False)
    hook = subscription(url="https://hooks.example.com:8443/hook")
    failure = delivery.send(hook, make_delivery(hook, "1"), 1000.0, config)
    assert rebinding == [(PUBLIC, 8443)]
    assert "refused by the test" in failure


def test_the_check_answers_the_address_to_pin_only_where_the_address_rule_applies():
    cloud = dataclasses.replace(settings(), stage="prod", subscription_allow_private=False)
    assert urls.check_at_send(f"https://{PUBLIC}/hook", cloud) == PUBLIC
    assert urls.check_at_send("http://127.0.0.1:9/hook", dataclasses.replace(cloud, stage="local")) is None
    assert urls.check_at_send("https://10.1.2.3/hook",
                              dataclasses.replace(cloud, subscription_allow_private=True)) is None
    with pytest.raises(urls.UnsafeUrl):
        urls.check_at_send("https://127.0.0.1/hook", cloud)
