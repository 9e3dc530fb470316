"""PuppetDB's status service: `GET /status/v1/services[/<name>]` (JSON) and
`GET /status/v1/simple[/<name>]` (plain text), for health checks, pypuppetdb's
`status()` and UIs' status lines.

The shapes, parameters and error texts are trapperkeeper-status 1.1's as PuppetDB
7.12.1 serves them (measured against it; its status_core.clj): a service's entry
has service_version, service_status_version, detail_level, state, status and
active_alerts, and `/services/<name>` adds service_name. The only service is
`puppetdb-status`; PuppetDB also lists trapperkeeper's own `status-service`
(JVM metrics), which this service has no counterpart for. A state other than
`running` answers 503, as trapperkeeper-status does.

`puppetdb-status`'s detail is PuppetDB's (pdb_routing.clj pdb-status-service):
`read_db_up?` is a cheap read of the store (storage port `ping`); the store is
one backend, so the write flags repeat it; reports are stored while the request
waits, so `queue_depth` is 0 and there is no maintenance mode.

No authentication: PuppetDB applies its certificate allowlist to /pdb only and
serves /status beside it (docs/security.md "Status").
"""
from __future__ import annotations

from chalice import Blueprint, Response

from .. import http, jsontext
from ..storage import get_storage
from . import PUPPETDB_VERSION

SERVICE = "puppetdb-status"
STATUS_VERSION = 1
LEVELS = ("critical", "info", "debug")
TEXT_TYPE = "text/plain; charset=utf-8"

blueprint = Blueprint(__name__)


class _Invalid(Exception):
    """A 400 trapperkeeper-status answers with `kind` data-invalid unless named."""

    def __init__(self, msg: str, kind: str = "data-invalid"):
        super().__init__(msg)
        self.kind, self.msg = kind, msg


def _params() -> dict:
    return dict(blueprint.current_request.query_params or {})


def _level(params: dict) -> str:
    """`level`: critical, info (the default) or debug, exactly (PuppetDB refuses `INFO`)."""
    level = params.get("level")
    if level is None:
        return "info"
    if level not in LEVELS:
        raise _Invalid(f"Invalid level: :{level}")
    return level


def _integer(text: str) -> int | None:
    """Java's Integer.parseInt as PuppetDB reads these (a sign, ASCII digits), else None."""
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        return None
    value = int(text)
    return value if -2**31 <= value < 2**31 else None


def _timeout(params: dict) -> None:
    """`timeout` (seconds) is checked as PuppetDB does; a check here takes one read."""
    raw = params.get("timeout")
    if raw is None:
        return
    value = _integer(raw)
    if value is None:
        raise _Invalid(f"Invalid timeout. Should be an integer but was {raw}")
    if value <= 0:
        raise _Invalid(f"Invalid timeout. Timeout must be greater than zero but was {value}")


def _status_version(params: dict) -> None:
    raw = params.get("service_status_version")
    if raw is None:
        return
    value = _integer(raw)
    if value is None:
        raise _Invalid(f"Invalid service_status_version. Should be an integer but was {raw}")
    if value != STATUS_VERSION:
        raise _Invalid(f"No status function with version {value} found for service {SERVICE}",
                       kind="service-status-version-not-found")


def service_status(level: str) -> dict:
    """puppetdb-status's entry at `level` (every level shows the same detail, as PuppetDB)."""
    up = get_storage().ping()
    return {
        "service_version": PUPPETDB_VERSION,
        "service_status_version": STATUS_VERSION,
        "detail_level": level,
        "state": "running" if up else "error",
        "status": {
            "maintenance_mode?": False,
            "queue_depth": 0,
            "read_db_up?": up,
            "write_db_up?": up,
            "write_dbs_up?": up,
            "write_db": {"default": {"up?": up}},
        },
        "active_alerts": [],
    }


def _code(entry: dict) -> int:
    return 200 if entry["state"] == "running" else 503


def _json(body: dict, status: int) -> Response:
    return Response(body=jsontext.dumps(body), status_code=status,
                    headers={"Content-Type": http.JSON_TYPE})


def _text(body: str, status: int) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": TEXT_TYPE})


def _invalid_json(error: _Invalid) -> Response:
    return _json({"kind": error.kind, "msg": error.msg}, 400)


@blueprint.route("/status/v1/services", methods=["GET"], content_types=http.ANY_CONTENT)
def services():
    params = _params()
    try:
        level = _level(params)
        _timeout(params)
    except _Invalid as error:
        return _invalid_json(error)
    entry = service_status(level)
    return _json({SERVICE: entry}, _code(entry))


@blueprint.route("/status/v1/services/{service_name}", methods=["GET"],
                 content_types=http.ANY_CONTENT)
def service(service_name):
    if service_name != SERVICE:
        return _json({"kind": "service-not-found",
                      "msg": f"No status information found for service {service_name}"}, 404)
    params = _params()
    try:
        level = _level(params)
        _status_version(params)
        _timeout(params)
    except _Invalid as error:
        return _invalid_json(error)
    entry = service_status(level)
    return _json({**entry, "service_name": SERVICE}, _code(entry))


def _simple(service_name: str | None) -> Response:
    """The state as a word; `level` is ignored here, as PuppetDB does (always critical)."""
    if service_name is not None and service_name != SERVICE:
        return _text(f"not found: {service_name}", 404)
    try:
        _timeout(_params())
    except _Invalid as error:
        return _text(error.msg, 400)
    entry = service_status("critical")
    return _text(entry["state"], _code(entry))


@blueprint.route("/status/v1/simple", methods=["GET"], content_types=http.ANY_CONTENT)
def simple():
    return _simple(None)


@blueprint.route("/status/v1/simple/{service_name}", methods=["GET"],
                 content_types=http.ANY_CONTENT)
def simple_service(service_name):
    return _simple(service_name)
