"""Structured JSON logs: one line per request with its request id.

Never logged: header values (tokens travel in X-Authentication), query-parameter
values (a token may be a `token` parameter), bodies. Parameter names are enough to
see what a client asked for; `principal` names the caller by the token's public
id or the certificate's CN (auth/middleware.py), never by the secret.
"""
from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from .auth.middleware import principal

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


def access_log(event, get_response):
    """Chalice HTTP middleware: time the request, log one JSON line."""
    started = time.perf_counter()
    # Names only, read before authentication removes the `token` parameter.
    params = sorted((event.query_params or {}).keys())
    response = get_response(event)
    logger.info("request", extra={"fields": {
        "request_id": request_id(event),
        "method": event.method,
        "path": event.path,
        "params": params,
        "principal": principal(event),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }})
    return response
