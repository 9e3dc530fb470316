"""Authentication and authorisation on every route (DESIGN.md "Authentication",
docs/security.md): RBAC error kinds for orchestrator and activity, the same
statuses in plain text for PuppetDB, scopes by path and method."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from app import app
from chalicelib import routing
from chalicelib.auth import scopes, tokens

JOB = {"environment": "production", "owner": {"id": "1", "login": "admin"},
       "nodes": ["a.example.com"]}
COMMIT = {"commit": {"service": {"id": "classifier"}, "subject": {"id": "u1", "name": "alice"},
                     "objects": [{"id": "g1", "name": "group", "type": "node_groups"}]}}
EVENTS_QUERY = "/experimental/events?" + urlencode({"query": json.dumps(["=", "certname", "a"])})


# Token storage runs on both adapters above and in tests/contract/test_token_store.py;
# the scope matrix and the route walk test the rules, so SQLite is enough for them.
SQLITE_ONLY = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


def _json(response):
    return json.loads(response.body)


def _jobs(client):
    return _json(client.http.get("/orchestrator/v1/jobs"))["pagination"]["total"]


# --------------------------------------------------------------- missing, bad

def test_no_token_is_401_user_unauthenticated(client):
    response = client.http_as(None).get("/orchestrator/v1/jobs")
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    body = _json(response)
    assert (body["kind"], body["msg"]) == ("puppetlabs.rbac/user-unauthenticated",
                                           "Route requires authentication")


def test_puppetdb_answers_the_same_status_in_plain_text(client):
    response = client.http_as(None).get(EVENTS_QUERY)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.body == b"Route requires authentication"


@pytest.mark.parametrize("token", ["not-a-token", "0123456789abcdef.wrong-secret", "x" * 5000],
                         ids=["malformed", "unknown-id", "overlong"])
def test_an_unknown_token_is_401_invalid_token(client, token):
    response = client.http_as(token).get("/activity-api/v2/events")
    assert (response.status_code, _json(response)["kind"]) == (401, "puppetlabs.rbac/invalid-token")


def test_a_known_id_with_the_wrong_secret_is_invalid(client):
    token_id = client.issue("admin").split(".")[0]
    response = client.http_as(token_id + ".guessed").get("/orchestrator/v1/jobs")
    assert (response.status_code, _json(response)["kind"]) == (401, "puppetlabs.rbac/invalid-token")


def test_an_expired_token_is_401_token_expired(client):
    long_ago = datetime(2020, 1, 1, tzinfo=timezone.utc)
    token = client.issue("admin", expires_in=timedelta(days=1), now=long_ago)
    response = client.http_as(token).get("/orchestrator/v1/jobs")
    assert (response.status_code, _json(response)["kind"]) == (401, "puppetlabs.rbac/token-expired")


def test_a_token_not_yet_expired_is_accepted(client):
    token = client.issue("orchestrator:read", expires_in=timedelta(days=1))
    assert client.http_as(token).get("/orchestrator/v1/jobs").status_code == 200


def test_a_revoked_token_is_401_token_revoked(client):
    token = client.issue("admin")
    assert client.http_as(token).get("/orchestrator/v1/jobs").status_code == 200
    client.store.revoke_token(token.split(".")[0], "2026-01-01T00:00:00.000000Z")
    response = client.http_as(token).get("/orchestrator/v1/jobs")
    assert (response.status_code, _json(response)["kind"]) == (401, "puppetlabs.rbac/token-revoked")


# ------------------------------------------------------------------- scopes

# (scope, method, path, body): the scope is enough for the request.
GRANTED = [
    ("orchestrator:read", "GET", "/orchestrator/v1/jobs", None),
    ("orchestrator:write", "POST", "/orchestrator/v1/jobs", JOB),
    ("activity:read", "GET", "/activity-api/v2/events", None),
    ("activity:read", "GET", "/activity-api/v1/events.csv?service_id=rbac", None),
    ("activity:write", "POST", "/activity-api/v2/events", COMMIT),
    ("puppetdb:read", "GET", EVENTS_QUERY, None),
]


def _send(http, method, path, body):
    payload = json.dumps(body).encode() if body is not None else b""
    return http.request(method, path, headers={"Content-Type": "application/json"}, body=payload)


@SQLITE_ONLY
@pytest.mark.parametrize("scope, method, path, body", GRANTED, ids=[f"{g[0]}-{g[1]}" for g in GRANTED])
def test_a_scope_grants_its_api_and_direction(client, scope, method, path, body):
    response = _send(client.http_as(client.issue(scope)), method, path, body)
    assert response.status_code in (200, 201), response.body


@SQLITE_ONLY
@pytest.mark.parametrize("scope, method, path, body", GRANTED, ids=[f"{g[0]}-{g[1]}" for g in GRANTED])
def test_every_other_scope_is_403_permission_denied(client, scope, method, path, body):
    others = [s for s in tokens.SCOPES if s not in (scope, tokens.ADMIN)]
    response = _send(client.http_as(client.issue(*others)), method, path, body)
    assert response.status_code == 403
    if path.startswith("/experimental"):
        assert response.headers["Content-Type"].startswith("text/plain")
    else:
        assert _json(response)["kind"] == "puppetlabs.rbac/permission-denied"


def test_a_write_refused_for_scope_stores_nothing(client):
    reader = client.http_as(client.issue("orchestrator:read"))
    assert _send(reader, "POST", "/orchestrator/v1/jobs", JOB).status_code == 403
    assert _jobs(client) == 0


def test_the_token_may_come_as_a_query_parameter_even_on_puppetdb(client):
    # PuppetDB refuses unknown parameters; the token parameter is taken out first.
    token = client.issue("puppetdb:read")
    response = client.http_as(None).get(EVENTS_QUERY + "&" + urlencode({"token": token}))
    assert response.status_code == 200, response.body


def test_an_empty_header_counts_as_no_token(client):
    response = client.http_as(None).get("/orchestrator/v1/jobs", headers={"X-Authentication": " "})
    assert _json(response)["kind"] == "puppetlabs.rbac/user-unauthenticated"


# ------------------------------------------------------- every route, closed

def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


ROUTES = sorted((path, method) for path, entries in app.routes.items() for method in entries)
# The status service is public, as PuppetDB's (docs/security.md "Status"); only GET.
PUBLIC = {(path, "GET") for path in ("/status/v1/services", "/status/v1/services/{service_name}",
                                     "/status/v1/simple", "/status/v1/simple/{service_name}")}


@SQLITE_ONLY
@pytest.mark.parametrize("path, method", ROUTES, ids=[f"{m} {p}" for p, m in ROUTES])
def test_no_route_answers_2xx_without_credentials(client, path, method):
    response = client.http_as(None).request(method, _concrete(path), body=b"{}",
                                            headers={"Content-Type": "application/json"})
    if scopes.rule_for(path, method).public:     # a status route, or a 404 below one
        assert response.status_code in (200, 404), (method, path, response.status_code)
    else:
        assert response.status_code == 401, (method, path, response.status_code)


def test_only_the_status_routes_are_public():
    served = {(p, m) for p, m in ROUTES if (m, p) not in routing.GENERATED}
    assert {(p, m) for p, m in served if scopes.rule_for(p, m).public} == PUBLIC


def test_the_route_walk_covers_every_api():
    prefixes = {p.split("/")[1] for p, _ in ROUTES}
    assert {"orchestrator", "activity-api", "pdb", "experimental"} <= prefixes


# ---------------------------------------------------------- default deny

def test_a_route_no_rule_names_needs_admin():
    assert scopes.rule_for("/some/new/route", "GET").scope == "admin"
    assert scopes.rule_for("/orchestrator/v1/jobs", "OPTIONS").scope == "admin"


@SQLITE_ONLY
def test_a_new_route_on_an_app_with_the_middleware_is_closed_to_other_scopes(client):
    from chalice import Chalice
    from chalice.test import Client

    from chalicelib.auth.middleware import authenticate
    from chalicelib.errors import render_errors
    extra = Chalice(app_name="extra")
    extra.register_middleware(render_errors, "http")
    extra.register_middleware(authenticate, "http")

    @extra.route("/brand-new")
    def brand_new():
        return {"ok": True}

    every_api = client.issue("orchestrator:read", "orchestrator:write", "puppetdb:read",
                             "puppetdb:write", "activity:read", "activity:write")
    with Client(extra) as test:
        assert test.http.get("/brand-new", headers={"X-Authentication": every_api}).status_code == 403
        assert test.http.get("/brand-new", headers={"X-Authentication": client.admin_token}).status_code == 200
