"""The conformance tier's data: a real PuppetDB 7 (puppetdb_server.py) and the
service on both adapters, loaded with the same reports.

The service gets each report with PuppetDB's own receive time for it, so
`receive_time` and `report_receive_time` compare like every other field.
Under CI (`CI` set) a PuppetDB that cannot start fails the tier; elsewhere the
tier is skipped and the skip names the install line.
"""
from __future__ import annotations

import copy
import glob
import json
import os
import shutil
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from moto import mock_aws

from chalicelib import storage, timestamps
from tests.conftest import _credentialed_client_classes, make_store

from .puppetdb_server import INSTALL, PuppetDB, missing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "puppetdb"


def fixture_commands() -> list[tuple[dict, dict]]:
    """(query parameters, body) of every store_report command the tier loads: the six
    fixture reports, and one fan-out copy of the first for a third node (a node with
    a single report, and a report with a U+0000 in an event's new_value)."""
    commands = []
    for path in sorted(glob.glob(str(FIXTURES / "store_report_v8_*.json"))):
        recorded = json.loads(Path(path).read_text())
        commands.append((dict(recorded["request"]["query"]), recorded["body"]))
    params, body = copy.deepcopy(commands[0])
    body["certname"] = params["certname"] = "node-c.anchor.test"
    body["transaction_uuid"] = "00000000-0000-4000-8000-00000000000c"
    events = [e for r in body["resources"] for e in r.get("events", [])]
    events[0]["new_value"] = "nul\u0000here"
    commands.append((params, body))
    return commands


def _post(url: str, params: dict, body: dict) -> dict:
    query = urllib.parse.urlencode({**params, "secondsToWaitForCompletion": "30"})
    request = urllib.request.Request(f"{url}/pdb/cmd/v1?{query}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


@pytest.fixture(scope="module")
def puppetdb(tmp_path_factory):
    """A running PuppetDB 7 holding fixture_commands(): its base URL. Module-scoped:
    the JVM (~500 MB) stops when the tier ends."""
    reason = missing()
    if reason:
        message = f"the conformance tier needs a real PuppetDB 7: {reason}. Install: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # Not under pytest's tmp dir: that is private to root, and PostgreSQL and
    # PuppetDB run as their own users.
    directory = tempfile.mkdtemp(prefix="conformance-puppetdb-")
    os.chmod(directory, 0o755)
    server = PuppetDB.start(directory)
    try:
        for params, body in fixture_commands():
            answer = _post(server.url, params, body)
            assert answer.get("processed") and "error" not in answer, answer
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def receive_times(puppetdb) -> dict[tuple[str, str], str]:
    """(certname, start_time) -> PuppetDB's receive time of that report."""
    with urllib.request.urlopen(f"{puppetdb}/pdb/query/v4/reports", timeout=30) as answer:
        return {(r["certname"], r["start_time"]): r["receive_time"] for r in json.load(answer)}


def _store_as_received(client, params: dict, body: dict, receive_times: dict) -> None:
    """POST the command to the service, its clock showing PuppetDB's receive time."""
    start = timestamps.millis(timestamps.stored(body["start_time"]))
    received = timestamps.parse(receive_times[(body["certname"], start)])
    with mock.patch.object(timestamps, "now", lambda: received):
        answer = client.http.post("/pdb/cmd/v1?" + urllib.parse.urlencode(params),
                                  body=json.dumps(body),
                                  headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.body


@pytest.fixture(scope="module", params=("sqlite", "dynamodb"))
def service(request, receive_times, tmp_path_factory):
    """The chalice test client over one adapter, holding the same reports. Module-scoped:
    its moto mock and its `storage.use` end with the tier, before any other test."""
    from app import app
    context = mock_aws() if request.param == "dynamodb" else None
    if context:
        context.start()
    store = make_store(request.param, tmp_path_factory.mktemp(request.param))
    storage.use(store)
    try:
        with _credentialed_client_classes()(app, store, stage_name="local") as client:
            for params, body in fixture_commands():
                _store_as_received(client, params, body, receive_times)
            yield request.param, client
    finally:
        storage.use(None)
        if context:
            context.stop()
        else:
            store.close()
