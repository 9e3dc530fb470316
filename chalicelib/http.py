"""Request and response helpers shared by every API's routes."""
from __future__ import annotations

from chalice import Response

from . import jsontext, limits
from .config import settings

JSON_TYPE = "application/json; charset=utf-8"
ANY_CONTENT = ["*/*"]   # Chalice rejects unlisted request Content-Types with 415, even on GET


def param(request, name: str) -> str | None:
    """The last value of a query parameter (None when absent)."""
    params = request.query_params or {}
    return params.get(name)


def param_list(request, name: str) -> list[str]:
    """Every value of a repeated parameter, each also split on commas."""
    params = request.query_params
    if not params or name not in params:
        return []
    return [part.strip() for raw in params.getlist(name) for part in raw.split(",") if part.strip()]


def param_names(request) -> set[str]:
    return set((request.query_params or {}).keys())


def json_body(request) -> object:
    """The parsed JSON body; ValueError when it is missing, not JSON or nested
    deeper than the limit (limits.body_json)."""
    raw = request.raw_body
    if not raw:
        raise ValueError("the request body is empty")
    try:
        return limits.body_json(raw)       # limits.TooComplex is a ValueError
    except ValueError as error:      # includes UnicodeDecodeError and JSONDecodeError
        raise ValueError(f"the request body is not valid JSON: {error}") from None


def base_url(request) -> str:
    """Scheme and host for absolute links: EVENTS_PUBLIC_URL, else the request's own."""
    configured = settings().public_url
    if configured:
        return configured
    headers = request.headers
    scheme = headers.get("x-forwarded-proto", "http").split(",")[0].strip()
    host = headers.get("host", "localhost")
    return f"{scheme}://{host}"


def json_response(body: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body=jsontext.dumps(body), status_code=status,
                    headers={"Content-Type": JSON_TYPE, **(headers or {})})
