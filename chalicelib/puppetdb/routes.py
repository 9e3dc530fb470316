"""PuppetDB routes at the root: `POST /pdb/cmd/v1`, `POST /v2/commands`,
`GET /experimental/events` (spec 002; ../shared/notes/puppetdb.md). Errors are
plain text (errors.render picks the format by path)."""
from __future__ import annotations

import hashlib
import uuid

from chalice import Blueprint, Response

from .. import answer_budget, http, retention, timestamps
from ..auth import certs
from ..auth import middleware as auth
from ..config import settings
from ..errors import ApiError
from ..storage import get_storage
from . import parsing, reports, views
from .model import full_order

blueprint = Blueprint(__name__)


def _request():
    return blueprint.current_request


def _header(name: str) -> str | None:
    headers = _request().headers or {}
    return headers.get(name)


def _params() -> dict:
    return dict(_request().query_params or {})


def _certificate_may_send(certname: object) -> None:
    """A request a client certificate authenticated (no token) may only carry
    its own certname, unless the certificate submits for all (auth/certs.py)."""
    cn = auth.certificate(_request())
    if cn is not None:
        certs.check_certname(cn, certname, settings())


def _store(report) -> Response:
    # Events older than resource-events-ttl are not stored; the report is (PuppetDB).
    report = retention.without_expired_events(report, timestamps.now(),
                                              retention.Policy.from_settings(settings()))
    get_storage().store_report(report)      # a duplicate is stored once; still 200
    return http.json_response({"uuid": str(uuid.uuid4())})


@blueprint.route("/pdb/cmd/v1", methods=["POST"], content_types=http.ANY_CONTENT)
def command():
    params = _params()
    parsing.store_report_command(params)
    _certificate_may_send(params["certname"])
    parsing.require_json_content(_header("content-type"))
    body = parsing.json_document(parsing.command_body(_request().raw_body,
                                                      _header("content-encoding")),
                                 bad=parsing.command_error)
    try:
        report = reports.from_v8(body)
    except reports.InvalidReport as error:
        raise parsing.invalid_report(
            error, f'Command "store report" for certname "{params["certname"]}" is invalid. ',
            bad=parsing.command_error) from None
    _certificate_may_send(report.certname)
    return _store(report)


@blueprint.route("/v2/commands", methods=["POST"], content_types=http.ANY_CONTENT)
def v2_commands():
    raw = parsing.command_body(_request().raw_body, _header("content-encoding"))
    payload = parsing.v2_command(raw, lambda text: hashlib.sha1(text.encode("utf-8")).hexdigest())
    try:
        report = reports.from_v2(payload)
    except reports.InvalidReport as error:
        raise parsing.invalid_report(error) from None
    _certificate_may_send(report.certname)
    return _store(report)


@blueprint.route("/experimental/events", methods=["GET"], content_types=http.ANY_CONTENT)
def events():
    request = parsing.event_query(_params(), _header("accept"))
    order = full_order(request.order)
    fail_limit = settings().event_query_limit
    counted = request.include_total     # counting reads every match: only when asked
    if request.limit is not None or fail_limit <= 0:
        # `limit` is the page size and replaces the fail limit (DESIGN.md "PuppetDB").
        page = get_storage().find_events(request.where, order, request.offset, request.limit,
                                         with_total=counted)
    else:
        page = get_storage().find_events(request.where, order, request.offset, fail_limit + 1,
                                         with_total=counted)
        if len(page.items) > fail_limit:
            # PuppetDB 1.4 answers 500 here (notes 1.4, case 20); we keep its status so
            # clients written against it see the same failure.
            raise ApiError(500, "too-many-results", "Query returns more than the maximum "
                           f"number of results (max: {fail_limit})")
    items, headers = answer_budget.json_page(page.items, views.event, request.offset)
    if request.include_total:
        headers["X-Records"] = str(page.total)
    return http.json_response(items, headers=headers)
