"""Structured JSON logs: one line per request with its request id.

Never logged: header values (tokens travel in X-Authentication) and bodies.
Query-parameter values are left out by default: a token may be a `token` parameter,
and a query may name hosts or users the operator would rather not keep in logs.
`principal` names the caller by the token's public id or the certificate's CN
(auth/middleware.py), never by the secret.

EVENTS_LOG_QUERIES=1 adds `query`: each parameter's value, and for a PuppetDB v4 POST
the parameters of its JSON body (the query text a client such as puppetboard sends
there), so a failing client can be diagnosed from the log alone. Even then secrets
stay out: a parameter whose name says it holds one (`token`, ...secret, password,
key, auth) is "[redacted]", anything shaped like a token (`<16 hex>.<secret>`) keeps
only its public id, and each value is cut at MAX_LOGGED_CHARS.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from . import limits
from .auth.middleware import principal
from .config import settings

# Not "puppet-events": Chalice owns the logger named after the app and sets it to ERROR.
logger = logging.getLogger("puppet_events.requests")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"level": record.levelname.lower(), "message": record.getMessage(),
                "logger": record.name}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: int = logging.INFO) -> None:
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def request_id(event) -> str:
    context = getattr(event, "context", None) or {}
    return context.get("requestId") or str(uuid.uuid4())


SECRET_NAME_PARTS = ("token", "secret", "password", "key", "auth")
REDACTED = "[redacted]"
MAX_LOGGED_CHARS = 4096
# auth/tokens.py's `<id>.<secret>`: the id is public, the secret never leaves the caller.
_TOKEN_SHAPE = re.compile(r"\b([0-9a-f]{16})\.[A-Za-z0-9_-]{16,}")
_BODY_QUERY_PATHS = ("/pdb/query/",)      # POST bodies that carry query parameters
_MAX_BODY_PARSED = 64 << 10


def logged_value(name: str, value: object) -> str:
    """A parameter's value as the access log may show it (see the module docstring)."""
    if any(part in name.lower() for part in SECRET_NAME_PARTS):
        return REDACTED
    text = value if isinstance(value, str) else json.dumps(value)
    text = _TOKEN_SHAPE.sub(lambda match: f"{match.group(1)}.{REDACTED}", text)
    if len(text) > MAX_LOGGED_CHARS:
        text = f"{text[:MAX_LOGGED_CHARS]}...[{len(text)} chars]"
    return text


def _query_values(event) -> dict:
    params = event.query_params or {}
    logged = {}
    for name in sorted(params.keys()):
        values = [logged_value(name, v) for v in params.getlist(name)]
        logged[name] = values[0] if len(values) == 1 else values
    return logged


def _body_values(event) -> dict:
    """The top-level parameters of a v4 POST's JSON body; {} when it is not one."""
    if event.method != "POST" or not event.path.startswith(_BODY_QUERY_PATHS):
        return {}
    raw = event.raw_body or b""
    if len(raw) > _MAX_BODY_PARSED:
        return {}
    try:    # within the body limits: json.loads alone recurses out on deep nesting
        body = limits.body_json(raw)
    except ValueError:            # gzip, not JSON, too deep: the route answers for it
        return {}
    if not isinstance(body, dict):
        return {}
    return {str(name): logged_value(str(name), value) for name, value in sorted(body.items())}


def access_log(event, get_response):
    """Chalice HTTP middleware: time the request, log one JSON line."""
    started = time.perf_counter()
    # Read before authentication removes the `token` parameter.
    params = sorted((event.query_params or {}).keys())
    try:
        log_queries = settings().log_queries
    except ValueError:          # settings it cannot read: render_errors answers the request
        log_queries = False
    query = _query_values(event) if log_queries else None
    response = get_response(event)
    fields = {
        "request_id": request_id(event),
        "method": event.method,
        "path": event.path,
        "params": params,
        "principal": principal(event),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if query is not None:
        fields["query"] = query
        body = _body_values(event)
        if body:
            fields["body"] = body
    logger.info("request", extra={"fields": fields})
    return response
