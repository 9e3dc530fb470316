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


FORWARDED_SCHEMES = ("http", "https")


def base_url(request) -> str:
    """Scheme and host for links: EVENTS_PUBLIC_URL; else, on the `local` stage only,
    the request's Host and X-Forwarded-Proto (a scheme other than http/https is
    ignored); else "" (links relative to this service's root). Outside `local`,
    request headers never make a link: they are the client's to choose
    (`javascript:alert(1)//` as a forwarded scheme, any Host)."""
    config = settings()
    if config.public_url:
        return config.public_url
    if config.stage != "local":
        return ""
    headers = request.headers
    scheme = headers.get("x-forwarded-proto", "http").split(",")[0].strip().lower()
    host = headers.get("host", "localhost")
    return f"{scheme if scheme in FORWARDED_SCHEMES else 'http'}://{host}"


def json_response(body: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body=jsontext.dumps(body), status_code=status,
                    headers={"Content-Type": JSON_TYPE, **(headers or {})})
