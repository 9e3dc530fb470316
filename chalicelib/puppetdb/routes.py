"""PuppetDB's routes (../shared/notes/puppetdb.md; spec 002): the commands
`POST /pdb/cmd/v1` and `POST /v2/commands`, the 1.4 `GET /experimental/events`, the
v4 queries under /pdb/query/v4 (notes 3 and 5) and `/pdb/meta/v1/version`. Each
query route: parameters (URL, or a JSON body for a v4 POST) -> dialect -> query
-> view. Errors are plain text unless PuppetDB 7 answers JSON (errors.render picks
the format by path)."""
from __future__ import annotations

import dataclasses
import hashlib
import uuid

from chalice import Blueprint, Response

from .. import answer_budget, http, retention, timestamps
from ..auth import certs
from ..auth import middleware as auth
from ..config import settings
from ..errors import ApiError, PuppetDBJsonError
from ..query.ast import Compare, all_of
from ..storage import get_storage
from . import PUPPETDB_VERSION, queries, views
from .catalogue import ENVIRONMENTS, EVENTS, NODES, REPORTS, full_order
from .dialects import extract, v1_4
from .dialects import v4 as v4_dialect
from .ingest import commands
from .ingest import reports as report_formats     # `reports` is the v4 route below

QUERY = "/pdb/query/v4"

blueprint = Blueprint(__name__)


def _request():
    return blueprint.current_request


def _header(name: str) -> str | None:
    headers = _request().headers or {}
    return headers.get(name)


def _query_params() -> dict:
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
    params = _query_params()
    name = commands.check_command(params)
    _certificate_may_send(params["certname"])
    commands.require_json_content(_header("content-type"))
    raw = commands.command_body(_request().raw_body, _header("content-encoding"))
    body = commands.json_document(raw, bad=commands.command_error)
    if name == "deactivate node":
        return _deactivate(body, params["certname"])
    try:
        report = report_formats.from_v8(body)
    except report_formats.InvalidReport as error:
        raise commands.invalid_report(
            error, f'Command "store report" for certname "{params["certname"]}" is invalid. ',
            bad=commands.command_error) from None
    _certificate_may_send(report.certname)
    return _store(report)


def _deactivate(body: object, certname: str) -> Response:
    """`deactivate node` v3, run at once (PuppetDB queues it): a stale one (the node
    reported later) changes nothing and is answered 200, as PuppetDB does."""
    target, when = commands.deactivate_node(body, certname, timestamps.stored(timestamps.now()))
    _certificate_may_send(target)
    get_storage().deactivate_node(target, when)
    return http.json_response({"uuid": str(uuid.uuid4())})


@blueprint.route("/v2/commands", methods=["POST"], content_types=http.ANY_CONTENT)
def v2_commands():
    raw = commands.command_body(_request().raw_body, _header("content-encoding"))
    payload = commands.v2_command(raw, lambda text: hashlib.sha1(text.encode("utf-8")).hexdigest())
    try:
        report = report_formats.from_v2(payload)
    except report_formats.InvalidReport as error:
        raise commands.invalid_report(error) from None
    _certificate_may_send(report.certname)
    return _store(report)


@blueprint.route("/experimental/events", methods=["GET"], content_types=http.ANY_CONTENT)
def experimental_events():
    request = v1_4.event_query(_query_params(), _header("accept"))
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
    items, headers = answer_budget.json_page(page.items, views.experimental_event, request.offset)
    if request.include_total:
        headers["X-Records"] = str(page.total)
    return http.json_response(items, headers=headers)


# ------------------------------------------------------------------ v4

def _v4_params() -> dict:
    """The URL's parameters, and for POST the JSON body's (v4 only)."""
    request = _request()
    params = dict(request.query_params or {})
    if request.method == "POST":
        params.update(v4_dialect.from_body(request.raw_body))
    return params


def _parse(entity, allowed, params: dict | None = None, **options) -> v4_dialect.Request:
    """`params`: the URL's (and a POST body's) unless given (the root query's)."""
    return v4_dialect.parse_request(_v4_params() if params is None else params,
                                    _header("accept"), entity, allowed, **options)


def _answer(records, render, request: v4_dialect.Request, total: int | None):
    """The page within the answer budget: `X-Next-Offset` when it stopped short."""
    items, headers = answer_budget.json_page(records, render, request.offset)
    if request.include_total:
        headers["X-Records"] = str(total)
    return http.json_response(items, headers=headers)


def _events(extra=None, params: dict | None = None):
    request = _parse(EVENTS, v4_dialect.EVENTS_PARAMS, params)
    where = request.where if extra is None else all_of(extra, request.where)
    if request.extract is not None and request.extract.aggregating:
        return _groups(v4_dialect.replace(request, where=where), EVENTS, views.EVENT_TIMES)
    page = queries.events(get_storage(), request, settings().event_query_limit, where)
    return _answer(page.items, _projected(views.event, request), request, page.total)


def _projected(render, request: v4_dialect.Request):
    """`render`, cut to an `extract`'s fields when the query names some."""
    if request.extract is None:
        return render
    return lambda record: extract.project(request.extract, render(record))


def _groups(request: v4_dialect.Request, entity, times=()):
    """`extract` with functions or group_by: the groups, paged like rows."""
    page = queries.groups(get_storage(), request, entity, times)
    return _answer(page.items, lambda row: row, request, page.total)


@blueprint.route(QUERY + "/events", methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def events():
    return _events()


@blueprint.route(QUERY + "/reports", methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def reports(params: dict | None = None):
    return _reports(_parse(REPORTS, v4_dialect.REPORTS_PARAMS, params))


def _reports(request: v4_dialect.Request):
    if request.extract is not None and request.extract.aggregating:
        return _groups(request, REPORTS, views.REPORT_TIMES)
    page = queries.reports(get_storage(), request)
    return _answer(page.items, _projected(views.report, request), request, page.total)


@blueprint.route(QUERY + "/reports/{report_hash}/events", methods=["GET", "POST"],
                 content_types=http.ANY_CONTENT)
def report_events(report_hash):
    _report_or_404(report_hash)
    return _events(Compare("report", "=", report_hash))


def _report_or_404(report_hash: str) -> dict:
    """PuppetDB 7 answers every sub-resource of an unknown report 404, in JSON."""
    found = queries.report(get_storage(), report_hash)
    if found is None:
        raise _not_found("report", report_hash)
    return found


@blueprint.route(QUERY + "/reports/{report_hash}/metrics", methods=["GET"],
                 content_types=http.ANY_CONTENT)
def report_metrics(report_hash):
    return http.json_response(views.metrics(_report_or_404(report_hash)))


@blueprint.route(QUERY + "/reports/{report_hash}/logs", methods=["GET"],
                 content_types=http.ANY_CONTENT)
def report_logs(report_hash):
    return http.json_response(views.logs(_report_or_404(report_hash)))


@blueprint.route(QUERY + "/event-counts", methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def event_counts():
    request = _parse(EVENTS, v4_dialect.EVENT_COUNTS_PARAMS, counting=True)
    summarize_by, page = queries.event_counts(get_storage(), request, settings().event_query_limit)
    return _answer(page.items, lambda r: views.event_count(summarize_by, r), request,
                   page.total)


@blueprint.route(QUERY + "/aggregate-event-counts", methods=["GET", "POST"],
                 content_types=http.ANY_CONTENT)
def aggregate_event_counts():
    request = _parse(EVENTS, v4_dialect.AGGREGATE_PARAMS, counting=True, aggregate=True)
    return http.json_response(
        queries.aggregate_event_counts(get_storage(), request, settings().event_query_limit))


def _not_found(kind: str, name: str) -> PuppetDBJsonError:
    """PuppetDB 7's 404 for an unknown node, environment or report, in JSON."""
    return PuppetDBJsonError(404, "not-found", f"No information is known about {kind} {name}")


@blueprint.route(QUERY + "/nodes", methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def nodes(params: dict | None = None):
    request = _parse(NODES, v4_dialect.NODES_PARAMS, params)
    if request.extract is not None and request.extract.aggregating:
        return _groups(request, NODES, views.NODE_TIMES)
    page = queries.nodes(get_storage(), request)
    return _answer(page.items, _projected(views.node, request), request, page.total)


@blueprint.route(QUERY + "/nodes/{certname}", methods=["GET"], content_types=http.ANY_CONTENT)
def node(certname):
    _parse(NODES, v4_dialect.NODES_PARAMS)      # checked as PuppetDB does, then unused
    found = queries.node(get_storage(), certname)
    if found is None:
        raise _not_found("node", certname)
    return http.json_response(views.node(found))


@blueprint.route(QUERY + "/environments", methods=["GET", "POST"],
                 content_types=http.ANY_CONTENT)
def environments(params: dict | None = None):
    request = _parse(ENVIRONMENTS, v4_dialect.ENVIRONMENTS_PARAMS, params)
    if request.extract is not None and request.extract.aggregating:
        return _groups(request, ENVIRONMENTS)
    page = queries.environments(get_storage(), request)
    return _answer(page.items, _projected(views.environment, request), request, page.total)


def _environment_or_404(name: str) -> dict:
    """PuppetDB 7 answers an unknown environment and its sub-resources 404, in JSON,
    before it looks at their parameters (handlers.clj wrap-with-parent-check)."""
    found = queries.environment(get_storage(), name)
    if found is None:
        raise _not_found("environment", name)
    return found


@blueprint.route(QUERY + "/environments/{environment}", methods=["GET"],
                 content_types=http.ANY_CONTENT)
def environment(environment):
    v4_dialect.parse_request(_query_params(), _header("accept"), ENVIRONMENTS,
                             v4_dialect.GLOBAL)
    return http.json_response(views.environment(_environment_or_404(environment)))


@blueprint.route(QUERY + "/environments/{environment}/reports", methods=["GET", "POST"],
                 content_types=http.ANY_CONTENT)
def environment_reports(environment):
    _environment_or_404(environment)
    request = _parse(REPORTS, v4_dialect.REPORTS_PARAMS)
    return _reports(dataclasses.replace(
        request, where=all_of(Compare("environment", "=", environment), request.where)))


@blueprint.route(QUERY + "/environments/{environment}/events", methods=["GET", "POST"],
                 content_types=http.ANY_CONTENT)
def environment_events(environment):
    _environment_or_404(environment)
    return _events(Compare("environment", "=", environment))


# The root endpoint's entities (PQL's, and the AST's from form) -> their endpoint.
ROOT_ENTITIES = {"events": lambda params: _events(params=params),
                 "reports": lambda params: reports(params),
                 "nodes": lambda params: nodes(params),
                 "environments": lambda params: environments(params)}
# PQL's other entities: PuppetDB's, whose data this service does not keep.
NOT_STORED = ("facts", "catalogs", "packages", "package_inventory", "resources", "factsets",
              "fact_paths", "fact_contents", "inventory", "edges")


@blueprint.route(QUERY, methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def root_query():
    """PQL or `["from", <entity>, ...]` (dialects/pql.py): the entity's endpoint answers,
    with the query's paging clauses under the URL's own (PuppetDB 7: the URL wins)."""
    from .dialects import pql      # lark loads with the first PQL query, not at a cold start
    params = _v4_params()
    config = settings()
    try:
        entity, from_query = pql.root_query(params.pop("query", None), config.max_query_bytes,
                                            config.max_query_depth)
    except pql.PqlError as error:
        raise v4_dialect.bad_request(str(error)) from None
    if entity in NOT_STORED:
        raise PuppetDBJsonError(404, "not-found", f"This service stores no {entity}: it keeps "
                                "events, reports, nodes and environments")
    if entity not in ROOT_ENTITIES:
        raise v4_dialect.bad_request(f"Invalid entity '{entity}' in query")
    return ROOT_ENTITIES[entity]({**from_query, **params})


@blueprint.route("/pdb/meta/v1/version", methods=["GET"], content_types=http.ANY_CONTENT)
def version():
    return http.json_response({"version": PUPPETDB_VERSION})
