"""Subscriptions against real servers: `chalice local` over SQLite with its
dispatcher thread, and `chalice local --stage prod` over DynamoDB (moto's server)
with the stream records fed to the stream handler, each delivering to a real
receiver on 127.0.0.1 that verifies every request with `standardwebhooks`.
No assertion is timed (the latency is measured in bench/, docs/performance.md)."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import boto3
import pytest
import requests

from chalicelib.storage.dynamodb import DynamoStorage
from chalicelib.subscriptions import stream, transport
from tests import payloads
from tests.e2e.conftest import (DYNAMODB_PREFIX, authorised_session,
                                create_tables_with_the_console_command, start_chalice)
from tests.e2e.test_puppet_apply import make_pki
from tests.receiver import Receiver
from tests.stream_feeder import StreamFeeder
from tests.subscription_factories import failed_report

pytestmark = pytest.mark.e2e
DEADLINE = 60          # seconds a wait may take before the test fails (not a measurement)


def _subscribe(http, base: str, url: str, query=None) -> dict:
    body = {"url": url, "sources": ["puppetdb.report"]}
    if query:
        body["filter"] = query
    answer = http.post(base + "/subscriptions", json=body, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _report(http, base: str, body: dict) -> None:
    answer = http.post(base + payloads.report_path(body["certname"]), json=body, timeout=30)
    assert answer.status_code == 200, answer.text


def _distinct(receiver: Receiver, count: int) -> list[dict]:
    """The first `count` distinct verified events, waiting for them."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        seen, distinct = set(), []
        for item in list(receiver.received):
            if item["event"]["id"] not in seen:
                seen.add(item["event"]["id"])
                distinct.append(item["event"])
        if len(distinct) >= count:
            return distinct
        time.sleep(0.05)
    raise AssertionError(f"{len(distinct)} of {count} events arrived")


def _same_body_per_id(receiver: Receiver) -> None:
    bodies: dict[str, set] = {}
    for headers, body in receiver.requests:
        bodies.setdefault(headers["webhook-id"], set()).add(body)
    assert all(len(b) == 1 for b in bodies.values())


def test_sqlite_each_failed_report_reaches_the_receiver_once_signed(tmp_path):
    env = {"EVENTS_SQLITE_PATH": str(tmp_path / "events.db")}
    process, base = start_chalice("local", env, tmp_path)
    receiver = Receiver()
    try:
        with authorised_session(base, "sqlite", env) as http:
            receiver.secret = _subscribe(http, base, receiver.url, ["=", "status", "failed"])["secret"]
            failed = [failed_report(f"n{i}.example", i) for i in range(3)]
            for i, body in enumerate(failed):
                _report(http, base, body)
                _report(http, base, payloads.report(f"n{i}.example", 100 + i))   # not failed
            _report(http, base, failed[0])                                      # stored once
            # A last failed report: once it is in, everything before it has been sent.
            _report(http, base, failed_report("last.example", 50))
            events = _distinct(receiver, 4)
        assert receiver.refused == []
        assert len(receiver.requests) == 4
        assert sorted(e["subject"] for e in events) == ["last.example", "n0.example",
                                                        "n1.example", "n2.example"]
        assert all(e["data"]["status"] == "failed" for e in events)
    finally:
        receiver.stop()
        process.terminate()
        process.wait(timeout=10)


def _chalice_pid(process) -> int:
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_sqlite_a_server_killed_mid_delivery_loses_nothing_after_restart(tmp_path):
    env = {"EVENTS_SQLITE_PATH": str(tmp_path / "events.db")}
    process, base = start_chalice("local", env, tmp_path)
    receiver = Receiver()
    try:
        with authorised_session(base, "sqlite", env) as http:
            receiver.secret = _subscribe(http, base, receiver.url)["secret"]
            receiver.hold.clear()                  # the receiver takes its time answering
            for run in range(1, 6):
                _report(http, base, payloads.report("a.example", run))
            receiver.wait_for_requests(1, DEADLINE)
            assert receiver.requests                 # a delivery is under way...
            os.kill(_chalice_pid(process), signal.SIGKILL)     # ...and the server dies
            process.wait(timeout=10)
            receiver.hold.set()
            process, base = start_chalice("local", env, tmp_path)
            events = _distinct(receiver, 5)
        times = [e["data"]["producer_timestamp"] for e in events]
        assert times == sorted(times) and len(set(times)) == 5
        assert receiver.refused == []
        _same_body_per_id(receiver)                  # a repeat carries the same id and body
    finally:
        receiver.hold.set()
        receiver.stop()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def pki(tmp_path):
    if not __import__("shutil").which("openssl"):
        pytest.skip("openssl is needed for the https receiver")
    return make_pki(tmp_path / "pki")


def test_dynamodb_stream_records_fed_to_the_handler_deliver_each_failed_report(
        tmp_path, moto_server, pki, monkeypatch):
    requests.post(moto_server + "/moto-api/reset", timeout=5)
    create_tables_with_the_console_command(moto_server, DYNAMODB_PREFIX)
    # The cloud stage: https only; 127.0.0.1 allowed by the setting that allows private
    # receivers; the key from the environment (the stack's Secrets Manager key in AWS).
    env = {"AWS_ENDPOINT_URL_DYNAMODB": moto_server, "EVENTS_SUBSCRIPTION_KEY": "k" * 64,
           "EVENTS_SUBSCRIPTION_ALLOW_PRIVATE": "true"}
    for name, value in {**env, "EVENTS_STORAGE": "dynamodb", "EVENTS_STAGE": "prod",
                        "SSL_CERT_FILE": str(pki / "ca.pem")}.items():
        monkeypatch.setenv(name, value)
    # Python 3.13's HTTPSHandler builds its TLS context (and reads SSL_CERT_FILE) when
    # the opener is made, at import; this test's CA comes later, so the opener is remade.
    monkeypatch.setattr(transport, "OPENER", transport.build_opener())
    process, base = start_chalice("prod", env, tmp_path)
    receiver = Receiver(tls=(str(pki / "server.pem"), str(pki / "server.key")))
    try:
        with authorised_session(base, "dynamodb", env) as http:
            refused = http.post(base + "/subscriptions", timeout=30, json={
                "url": receiver.url.replace("https", "http"), "sources": ["puppetdb.report"]})
            assert refused.status_code == 400          # plain http, on the cloud stage
            receiver.secret = _subscribe(http, base, receiver.url, ["=", "status", "failed"])["secret"]
            store = DynamoStorage(DYNAMODB_PREFIX, client=boto3.client(
                "dynamodb", endpoint_url=moto_server, region_name="us-east-1"))
            feeder = StreamFeeder(store, endpoint_url=moto_server)
            for run in range(3):
                _report(http, base, failed_report("a.example", run))
                _report(http, base, payloads.report("a.example", 100 + run))
            _report(http, base, failed_report("a.example", 0))        # stored once
            feeder.feed(store, stream.handle)
            events = _distinct(receiver, 3)
            feeder.feed(store, stream.handle)              # nothing new: nothing sent
        assert len(receiver.requests) == 3 and receiver.refused == []
        times = [e["data"]["producer_timestamp"] for e in events]
        assert times == sorted(times)
        assert all(e["data"]["status"] == "failed" for e in events)
    finally:
        receiver.stop()
        process.terminate()
        process.wait(timeout=10)
