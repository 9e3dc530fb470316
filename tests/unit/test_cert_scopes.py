"""EVENTS_CERT_SCOPES (issue 14 item 1): its syntax, and the middleware's decision for a
verified certificate from API Gateway mutual TLS (the request context; the TLS-front
header is covered over HTTP in tests/http/test_cert_read_access.py)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.auth import middleware
from chalicelib.config import cert_scopes
from chalicelib.errors import ApiError
from tests.unit.test_client_cert_identity import _api_gateway


def test_entries_map_a_cn_to_its_scopes_and_a_repeated_cn_gets_the_union():
    raw = " puppetboard.example.com = puppetdb:read ; ops.example=puppetdb:read, activity:read;" \
          "ops.example=orchestrator:read;"
    assert dict(cert_scopes(raw)) == {
        "puppetboard.example.com": frozenset({"puppetdb:read"}),
        "ops.example": frozenset({"puppetdb:read", "activity:read", "orchestrator:read"})}


@pytest.mark.parametrize("raw", [None, "", " ; ;"])
def test_unset_or_empty_maps_nothing(raw):
    assert cert_scopes(raw) == ()


@pytest.mark.parametrize("raw, text", [
    ("puppetboard.example.com", "expected <CN>=<scope>"),
    ("=puppetdb:read", "expected <CN>=<scope>"),
    ("puppetboard.example.com=", "expected <CN>=<scope>"),
    ("puppetboard.example.com=puppetdb:query", "unknown scope 'puppetdb:query'"),
])
def test_a_malformed_entry_or_unknown_scope_is_refused(raw, text):
    with pytest.raises(ValueError, match=text):
        cert_scopes(raw)


def _event(path: str, method: str = "GET", subject_dn: str | None = "CN=board.example"):
    context = _api_gateway(subject_dn) if subject_dn else {}
    return SimpleNamespace(path=path, method=method, headers={}, query_params=None,
                           context=context)


@pytest.fixture
def scoped(monkeypatch):
    monkeypatch.delenv("EVENTS_CLIENT_CERT_HEADER", raising=False)
    monkeypatch.setenv("EVENTS_CERT_SCOPES", "board.example=puppetdb:read")


def _authenticate(event):
    return middleware.authenticate(event, lambda e: "answered")


def test_a_mapped_api_gateway_certificate_reads_and_is_recorded_as_cert_cn(scoped):
    event = _event("/pdb/query/v4/reports")
    assert _authenticate(event) == "answered"
    assert middleware.principal(event) == "cert:board.example"
    assert middleware.certificate(event) == "board.example"


def test_a_mapped_certificate_without_the_routes_scope_is_403(scoped):
    with pytest.raises(ApiError) as refused:
        _authenticate(_event("/activity-api/v1/events"))
    assert refused.value.status == 403
    assert refused.value.kind == "puppetlabs.rbac/permission-denied"
    assert "'activity:read'" in refused.value.msg and "board.example" in refused.value.msg


def test_an_unmapped_certificate_is_401_as_without_one(scoped):
    with pytest.raises(ApiError) as refused:
        _authenticate(_event("/pdb/query/v4/reports", subject_dn="CN=stranger.example"))
    assert (refused.value.status, refused.value.kind) == \
        (401, "puppetlabs.rbac/user-unauthenticated")


def test_an_unmapped_certificate_on_a_submit_route_keeps_its_403(scoped):
    with pytest.raises(ApiError) as refused:
        _authenticate(_event("/pdb/cmd/v1", "POST", subject_dn="CN=stranger.example"))
    assert refused.value.status == 403
    assert refused.value.msg == \
        "The certificate 'stranger.example' is not allowed to submit commands"


def test_a_read_scope_does_not_submit_reports(scoped):
    with pytest.raises(ApiError) as refused:
        _authenticate(_event("/pdb/cmd/v1", "POST"))
    assert refused.value.status == 403 and "'puppetdb:write'" in refused.value.msg
