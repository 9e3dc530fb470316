"""`store report` authenticated by a client certificate verified at the TLS edge
(shared contract 3): the CN must be allowlisted, and it submits for its own
certname only unless it is allowlisted to submit for all."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chalicelib.puppetdb import demo

FIXTURE = Path(__file__).parent.parent / "fixtures" / "puppetdb" / "store_report_v8_1.json"
DN_HEADER = "X-Client-DN"
EVERYTHING = "/experimental/events?" + urlencode({"query": json.dumps(["~", "certname", "."])})

# The certificate tests change no token storage, so SQLite is enough for them.
pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


@pytest.fixture
def certificates(monkeypatch):
    monkeypatch.setenv("EVENTS_CLIENT_CERT_HEADER", DN_HEADER)
    monkeypatch.setenv("EVENTS_CERT_ALLOWLIST", "node-a.example,node-b.example")
    monkeypatch.setenv("EVENTS_CERT_SUBMIT_ALL", "puppet.example")


def _report(query_certname: str, body_certname: str | None = None):
    recorded = json.loads(FIXTURE.read_text())
    body = {**recorded["body"], "certname": body_certname or query_certname}
    query = {**recorded["request"]["query"], "certname": query_certname}
    return "/pdb/cmd/v1?" + urlencode(query), json.dumps(body).encode()


def _submit(client, dn: str | None, query_certname: str, body_certname: str | None = None):
    path, body = _report(query_certname, body_certname)
    headers = {"Content-Type": "application/json"}
    if dn is not None:
        headers[DN_HEADER] = dn
    return client.http_as(None).post(path, body=body, headers=headers)


def _stored_certnames(client):
    return {e["certname"] for e in json.loads(client.http.get(EVERYTHING).body)}


def test_an_allowlisted_certificate_submits_its_own_report_without_a_token(client, certificates):
    response = _submit(client, "CN=node-a.example,O=Example", "node-a.example")
    assert response.status_code == 200, response.body
    assert _stored_certnames(client) == {"node-a.example"}


def test_a_query_certname_other_than_the_cn_is_403_and_stores_nothing(client, certificates):
    response = _submit(client, "CN=node-a.example", "node-b.example")
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/plain")
    assert b"node-a.example" in response.body and b"node-b.example" in response.body
    assert _stored_certnames(client) == set()


def test_a_body_certname_other_than_the_cn_is_403_and_stores_nothing(client, certificates):
    response = _submit(client, "CN=node-a.example", "node-a.example", body_certname="node-b.example")
    assert response.status_code == 403
    assert _stored_certnames(client) == set()


def test_a_submit_all_certificate_submits_for_any_certname(client, certificates):
    assert _submit(client, "CN=puppet.example", "node-z.example").status_code == 200
    assert _stored_certnames(client) == {"node-z.example"}


def test_a_certificate_not_on_the_allowlist_is_403(client, certificates):
    response = _submit(client, "CN=intruder.example", "intruder.example")
    assert response.status_code == 403
    assert _stored_certnames(client) == set()


def test_without_the_header_setting_a_client_sent_dn_is_ignored(client):
    response = _submit(client, "CN=node-a.example", "node-a.example")
    assert (response.status_code, response.body) == (401, b"Route requires authentication")


def test_a_certificate_does_not_open_other_routes(client, certificates):
    response = client.http_as(None).get(EVERYTHING, headers={DN_HEADER: "CN=node-a.example"})
    assert response.status_code == 401


def test_a_token_needs_no_certname_match(client, certificates):
    writer = client.http_as(client.issue("puppetdb:write"))
    path, body = _report("node-b.example")
    response = writer.post(path, body=body, headers={"Content-Type": "application/json",
                                                     DN_HEADER: "CN=node-a.example"})
    assert response.status_code == 200


def test_a_v2_command_is_checked_against_its_payload_certname(client, certificates, monkeypatch):
    command = json.dumps({"command": "store report", "version": 2, "payload": demo.B1})
    form = urlencode({"checksum": hashlib.sha1(command.encode()).hexdigest(), "payload": command})
    headers = {"Content-Type": "application/x-www-form-urlencoded", DN_HEADER: "CN=node-a.example"}
    response = client.http_as(None).post("/v2/commands", body=form, headers=headers)
    assert response.status_code == 403 and demo.B1["certname"] != "node-a.example"
    headers[DN_HEADER] = "CN=" + demo.B1["certname"]
    monkeypatch.setenv("EVENTS_CERT_ALLOWLIST", demo.B1["certname"])
    assert client.http_as(None).post("/v2/commands", body=form, headers=headers).status_code == 200
