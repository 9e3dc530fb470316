"""Typed API errors, rendered in each API's own body format by one middleware.

Route code raises `ApiError` (or a helper below); `app.py` installs
`render_errors`, which picks the format from the request path:
- orchestrator, activity and subscriptions: JSON `{"kind", "msg", "details"}` (PE's
  error format, ../shared/notes/pe-clients.md section 3);
- PuppetDB: a plain-text body (../shared/notes/puppetdb.md section 1.4), except
  `PuppetDBJsonError`, where PuppetDB 7 answers JSON `{"error": msg}` (a command's
  400s, a sub-resource of an unknown report; measured by tests/conformance).
"""
from __future__ import annotations

import json
import logging

from chalice import Response
from chalice.app import ChaliceUnhandledError

from .storage.base import QueryTooExpensive, StoreUnavailable

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


class ApiError(ChaliceUnhandledError):
    """An error answer. `kind` without a namespace gets the API's own namespace."""

    def __init__(self, status: int, kind: str, msg: str, details: object = None,
                 headers: dict | None = None):
        super().__init__(msg)
        self.status = status
        self.kind = kind
        self.msg = msg
        self.details = details
        self.headers = headers or {}


def validation_error(msg: str, **details: object) -> ApiError:
    return ApiError(400, "validation-error", msg, details or None)


def not_found(kind: str, msg: str, **details: object) -> ApiError:
    return ApiError(404, kind, msg, details or None)


def conflict(kind: str, msg: str, **details: object) -> ApiError:
    return ApiError(409, kind, msg, details or None)


RETRY_AFTER_SECONDS = 1


class ServiceUnavailable(ApiError):
    """The store is overloaded or a retry budget ran out: safe for the client to retry."""

    def __init__(self, msg: str = "The event store is busy; retry the request."):
        super().__init__(503, "service-unavailable", msg,
                         headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class PuppetDBJsonError(ApiError):
    """A PuppetDB error PuppetDB 7 answers as JSON `{"error": msg}` rather than plain
    text: a command's 400s, a sub-resource of an unknown report."""


# Path prefix -> (JSON kind namespace or None for PuppetDB's plain text).
_API_FORMATS = (
    ("/orchestrator/", "puppetlabs.orchestrator"),
    ("/activity-api/", "puppetlabs.activity"),
    ("/subscriptions", "puppet-events.subscriptions"),
)


def _namespace(path: str) -> str | None:
    for prefix, namespace in _API_FORMATS:
        if path.startswith(prefix):
            return namespace
    return None


def render(path: str, error: ApiError) -> Response:
    namespace = _namespace(path)
    if namespace is None and isinstance(error, PuppetDBJsonError):
        return Response(body=json.dumps({"error": error.msg}), status_code=error.status,
                        headers={**error.headers, "Content-Type": JSON_TYPE})
    if namespace is None:
        return Response(body=error.msg, status_code=error.status,
                        headers={**error.headers, "Content-Type": TEXT_TYPE})
    kind = error.kind if "/" in error.kind else f"{namespace}/{error.kind}"
    body = {"kind": kind, "msg": error.msg, "details": error.details}
    return Response(body=json.dumps(body), status_code=error.status,
                    headers={**error.headers, "Content-Type": JSON_TYPE})


def render_errors(event, get_response):
    """Chalice HTTP middleware: ApiError -> the API's error body; StoreUnavailable
    -> 503 with Retry-After (nothing of the request was stored); QueryTooExpensive
    -> 503 naming the exceeded budget (no Retry-After: the same query costs the
    same); Chalice's own 500 body -> the API's format (the traceback is already
    logged by Chalice); a setting the service cannot read (config.py raises
    ValueError naming it) -> 500 saying so, the setting named in the log only."""
    try:
        response = get_response(event)
    except ApiError as error:
        return render(event.path, error)
    except QueryTooExpensive as error:
        return render(event.path, ApiError(503, "query-too-expensive", str(error)))
    except StoreUnavailable as error:
        # Logged without the request: the cause (throttling, contention, an outage) is enough.
        log.warning("store unavailable on %s: %s", event.path, error)
        return render(event.path, ServiceUnavailable())
    except ValueError:
        # Raised by a middleware (a view's errors come back as Chalice's 500 below).
        problem = _settings_problem()
        if problem is None:
            raise
        return _misconfigured(event.path, problem)
    if response.status_code == 500 and isinstance(response.body, dict) \
            and response.body.get("Code") == "InternalServerError":
        problem = _settings_problem()
        if problem is not None:
            return _misconfigured(event.path, problem)
        return render(event.path, ApiError(500, "server-error",
                                           "An internal server error occurred."))
    return response


def _settings_problem() -> str | None:
    """What config.py says of the settings, if it cannot read them."""
    from .config import settings        # here: config's readers import storage-free modules only
    try:
        settings()
    except ValueError as error:
        return str(error)
    return None


def _misconfigured(path: str, problem: str) -> Response:
    # The setting is named in the log, not to the caller (its value may be private).
    log.error("the service cannot read its settings: %s", problem)
    return render(path, ApiError(500, "server-error", "The service's settings are invalid: "
                                 "its log names the setting and why"))
