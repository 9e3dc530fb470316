"""Where the verified client certificate's CN comes from (auth/certs.py)."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from chalicelib.auth import certs
from chalicelib.config import Settings


def _config(header: str | None = None) -> Settings:
    return replace(Settings.from_environment(), client_cert_header=header)


def _request(context=None, headers=None):
    return SimpleNamespace(context=context or {}, headers=headers or {})


def _api_gateway(subject_dn: str) -> dict:
    # requestContext of a REST API behind a custom domain with mutual TLS.
    return {"identity": {"sourceIp": "203.0.113.9", "clientCert": {
        "clientCertPem": "-----BEGIN CERTIFICATE-----\n...", "subjectDN": subject_dn,
        "issuerDN": "CN=Puppet CA: puppet.example", "serialNumber": "1",
        "validity": {"notBefore": "May 28 12:30:02 2019 GMT",
                     "notAfter": "Aug  5 09:36:04 2021 GMT"}}}}


@pytest.mark.parametrize("dn, cn", [
    ("CN=node-a.example", "node-a.example"),
    ("CN=node-a.example,O=Example,C=GB", "node-a.example"),
    ("O=Example, CN=node-a.example", "node-a.example"),
    (r"CN=odd\,name.example,O=Example", "odd,name.example"),
    ('CN="quoted.example"', "quoted.example"),
    ("cn=lower.example", "lower.example"),
    ("CN=a.example,CN=b.example", None),          # ambiguous: not trusted
    ("O=Example", None),
    ("CN=", None),
    ("", None),
    ("www.example.com", "www.example.com"),         # AWS's sample events: a bare name
    ("a.example, b.example", None),
])
def test_the_cn_of_an_rfc2253_subject(dn, cn):
    assert certs.common_name(dn) == cn


def test_api_gateway_mutual_tls_gives_the_subject_from_the_request_context():
    request = _request(context=_api_gateway("CN=node-a.example,O=Example"))
    assert certs.verified_cn(request, _config()) == "node-a.example"


def test_an_http_api_payload_puts_the_certificate_under_authentication():
    request = _request(context={"authentication": _api_gateway("CN=node-a.example")["identity"]})
    assert certs.verified_cn(request, _config()) == "node-a.example"


def test_the_request_context_wins_over_any_header():
    request = _request(context=_api_gateway("CN=node-a.example"),
                       headers={"x-client-dn": "CN=forged.example"})
    assert certs.verified_cn(request, _config("X-Client-DN")) == "node-a.example"


def test_a_header_counts_only_when_a_tls_front_is_configured():
    request = _request(headers={"X-Client-DN": "CN=node-a.example"})
    assert certs.verified_cn(request, _config()) is None
    assert certs.verified_cn(request, _config("X-Client-DN")) == "node-a.example"


def test_allowlists_come_from_comma_separated_settings(monkeypatch):
    monkeypatch.setenv("EVENTS_CERT_ALLOWLIST", "a.example, b.example")
    monkeypatch.setenv("EVENTS_CERT_SUBMIT_ALL", "puppet.example")
    config = Settings.from_environment()
    assert certs.may_submit("b.example", config) and certs.may_submit("puppet.example", config)
    assert not certs.may_submit("c.example", config) and not certs.may_submit(None, config)
