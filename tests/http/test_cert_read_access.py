"""Certificate read access (issue 14 item 1): with no token, a client certificate the
TLS front verified (its DN in EVENTS_CLIENT_CERT_HEADER) has the scopes
EVENTS_CERT_SCOPES gives its CN, as PuppetDB's certificate allowlist admits
puppetboard. On both adapters; API Gateway's request context is covered in
tests/unit/test_cert_scopes.py."""
from __future__ import annotations

import json

import pytest

from chalicelib.puppetdb import PUPPETDB_VERSION, demo
from tests.http.test_access_log import log_lines  # noqa: F401 (fixture)

DN_HEADER = "X-Client-DN"
BOARD = "CN=puppetboard.example.com,O=Example"


@pytest.fixture
def scoped(client, monkeypatch):
    monkeypatch.setenv("EVENTS_CLIENT_CERT_HEADER", DN_HEADER)
    monkeypatch.setenv("EVENTS_CERT_SCOPES", "puppetboard.example.com=puppetdb:read;"
                                             "ops.example=puppetdb:read,activity:read")
    demo.load_puppetdb(client.store)
    return client


def _as(client, dn: str | None):
    headers = {DN_HEADER: dn} if dn else {}
    anonymous = client.http_as(None)
    return lambda path, **kw: anonymous.get(path, headers={**headers, **kw.get("headers", {})})


def test_a_mapped_certificate_reads_puppetdb_without_a_token(scoped):
    get = _as(scoped, BOARD)
    version = get("/pdb/meta/v1/version")
    assert (version.status_code, json.loads(version.body)) == (200, {"version": PUPPETDB_VERSION})
    reports = get("/pdb/query/v4/reports")
    assert reports.status_code == 200
    assert {r["certname"] for r in json.loads(reports.body)} == \
        {r.certname for r in demo.demo_reports()}
    assert get("/experimental/events?query=" + '["=","status","success"]').status_code == 200


def test_a_mapped_certificate_without_the_routes_scope_is_403(scoped):
    response = _as(scoped, BOARD)("/activity-api/v1/events?service_id=classifier")
    assert response.status_code == 403
    body = json.loads(response.body)
    assert body["kind"] == "puppetlabs.rbac/permission-denied"
    assert body["details"] == {"certificate": "puppetboard.example.com",
                               "required_scope": "activity:read"}


def test_a_second_scope_opens_its_api(scoped):
    response = _as(scoped, "CN=ops.example")("/activity-api/v1/events?service_id=classifier")
    assert response.status_code == 200, response.body


def test_an_unmapped_certificate_is_401_as_without_one(scoped):
    response = _as(scoped, "CN=stranger.example")("/pdb/query/v4/reports")
    assert (response.status_code, response.body) == (401, b"Route requires authentication")


def test_a_read_certificate_may_not_submit(scoped):
    response = scoped.http_as(None).post(
        "/pdb/cmd/v1?command=store_report&version=8&certname=puppetboard.example.com",
        body=b"{}", headers={DN_HEADER: BOARD, "Content-Type": "application/json"})
    assert response.status_code == 403
    assert b"puppetdb:write" in response.body


def test_the_header_is_not_trusted_without_the_setting(scoped, monkeypatch):
    monkeypatch.delenv("EVENTS_CLIENT_CERT_HEADER")
    response = _as(scoped, BOARD)("/pdb/query/v4/reports")
    assert (response.status_code, response.body) == (401, b"Route requires authentication")


def test_a_token_still_decides_when_both_come(scoped):
    # A token without puppetdb:read is refused even though the certificate has it.
    token = scoped.issue("orchestrator:read")
    response = scoped.http_as(token).get("/pdb/query/v4/reports", headers={DN_HEADER: BOARD})
    assert response.status_code == 403


def test_the_access_log_names_the_certificate(scoped, log_lines):  # noqa: F811
    _as(scoped, BOARD)("/pdb/query/v4/reports")
    (line,) = log_lines
    assert line["principal"] == "cert:puppetboard.example.com" and line["status"] == 200
