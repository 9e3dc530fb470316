"""The authentication middleware app.py registers for every route.

A token comes in `X-Authentication` or the `token` query parameter (as PE's
RBAC middleware reads it, ../shared/notes/pe-clients.md 3.3); the parameter is
removed before the route sees it, so routes that refuse unknown parameters
(PuppetDB's) accept it. Failures are RBAC error kinds; errors.render gives
PuppetDB paths a plain-text body with the same status. The caller is recorded
in the request context as API Gateway's authorisers do
(`requestContext.authorizer.principalId`), for the access log and for routes
that check a certificate's certname.
"""
from __future__ import annotations

from .. import timestamps
from ..config import settings
from ..errors import ApiError
from ..storage import get_storage
from . import certs, scopes, tokens

HEADER = "x-authentication"
PARAMETER = "token"
RBAC = "puppetlabs.rbac/"


def unauthenticated() -> ApiError:
    return ApiError(401, RBAC + "user-unauthenticated", "Route requires authentication")


_FAILURES = {
    "invalid": (RBAC + "invalid-token", "The provided token is invalid."),
    "expired": (RBAC + "token-expired", "The provided token has expired."),
    "revoked": (RBAC + "token-revoked", "The provided token has been revoked."),
}


def _failure(state: str) -> ApiError:
    kind, msg = _FAILURES[state]
    return ApiError(401, kind, msg)


def denied(msg: str, **details: object) -> ApiError:
    return ApiError(403, RBAC + "permission-denied", msg, details or None)


def presented_token(request) -> str | None:
    """The header, else the last `token` parameter; empty counts as absent."""
    header = (request.headers or {}).get(HEADER)
    if header and header.strip():
        return header.strip()
    params = request.query_params
    if params and params.get(PARAMETER):
        return params[PARAMETER].strip() or None
    return None


def _remove_token_parameter(request) -> None:
    params = request.query_params
    if params is not None and PARAMETER in params:
        del params[PARAMETER]


def valid_token(presented: str) -> tokens.Token:
    """The stored token the string names, or the 401 that says why not."""
    token_id = tokens.token_id(presented)
    stored = get_storage().get_token(token_id) if token_id else None
    if stored is None or not tokens.matches(stored, presented):
        raise _failure("invalid")
    state = stored.state(timestamps.stored(timestamps.now()))
    if state != "valid":
        raise _failure(state)
    return stored


def _record(request, **principal: object) -> None:
    request.context["authorizer"] = principal


def principal(request) -> str | None:
    """`token:<id>` or `cert:<CN>` once authenticated (the access log's field)."""
    return ((getattr(request, "context", None) or {}).get("authorizer") or {}).get("principalId")


def certificate(request) -> str | None:
    """The CN when a client certificate, not a token, authenticated the request."""
    return ((getattr(request, "context", None) or {}).get("authorizer") or {}).get("certificate")


def authenticate(event, get_response):
    """Chalice HTTP middleware: every route needs a token with the rule's scope, or a
    verified client certificate: for `store report`, an allowlisted one; elsewhere, one
    EVENTS_CERT_SCOPES gives the rule's scope. The status service needs neither."""
    rule = scopes.rule_for(event.path, event.method)
    presented = presented_token(event)
    _remove_token_parameter(event)
    if rule.public:
        return get_response(event)
    if presented is None:
        _certificate(event, rule)
        return get_response(event)
    token = valid_token(presented)
    if not token.grants(rule.scope):
        raise denied(f"The token does not grant the scope '{rule.scope}' this route requires",
                     required_scope=rule.scope)
    _record(event, principalId=f"token:{token.id}")
    return get_response(event)


def _certificate(event, rule: scopes.Rule) -> None:
    """Authenticate by the verified client certificate, or refuse as without one: a
    CN neither allowlisted nor mapped gets today's 401 (403 on a submit route)."""
    config = settings()
    cn = certs.verified_cn(event, config)
    if cn is None:
        raise unauthenticated()
    if rule.certificate_may_submit and certs.may_submit(cn, config):
        _record(event, principalId=f"cert:{cn}", certificate=cn)
        return
    held = certs.scopes_for(cn, config)
    if not held:
        if rule.certificate_may_submit:
            raise denied(f"The certificate '{cn}' is not allowed to submit commands",
                         certificate=cn)
        raise unauthenticated()
    if not tokens.granted(held, rule.scope):
        raise denied(f"The certificate '{cn}' does not have the scope '{rule.scope}' "
                     "this route requires", certificate=cn, required_scope=rule.scope)
    _record(event, principalId=f"cert:{cn}", certificate=cn)
