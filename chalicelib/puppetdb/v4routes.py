"""PuppetDB v4 query routes and /pdb/meta/v1/version (../shared/notes/puppetdb.md 3
and 5). Each route: parameters (URL, or a JSON body for POST) -> v4 query -> view.
Errors are plain text (errors.render picks the format by path)."""
from __future__ import annotations

from chalice import Blueprint

from .. import answer_budget, http
from ..config import settings
from ..errors import PuppetDBJsonError
from ..query.ast import Compare, all_of
from ..storage import get_storage
from . import PUPPETDB_VERSION, v4, v4params, v4views
from .dialects import extract, pql
from .parsing import bad_request
from .v4fields import EVENTS, REPORTS

QUERY = "/pdb/query/v4"

blueprint = Blueprint(__name__)


def _params() -> dict:
    request = blueprint.current_request
    params = dict(request.query_params or {})
    if request.method == "POST":
        params.update(v4params.from_body(request.raw_body))
    return params


def _parse(entity, allowed, params: dict | None = None, **options) -> v4params.Request:
    headers = blueprint.current_request.headers or {}
    return v4params.parse(_params() if params is None else params, headers.get("accept"),
                          entity, allowed, **options)


def _answer(records, render, request: v4params.Request, total: int | None):
    """The page within the answer budget: `X-Next-Offset` when it stopped short."""
    items, headers = answer_budget.json_page(records, render, request.offset)
    if request.include_total:
        headers["X-Records"] = str(total)
    return http.json_response(items, headers=headers)


def _events(extra=None, params: dict | None = None):
    request = _parse(EVENTS, v4params.EVENTS_PARAMS, params)
    where = request.where if extra is None else all_of(extra, request.where)
    if request.extract is not None and request.extract.aggregating:
        return _groups(v4params.replace(request, where=where), EVENTS)
    page = v4.events(get_storage(), request, settings().event_query_limit, where)
    return _answer(page.items, _projected(v4views.event, request), request, page.total)


def _projected(render, request: v4params.Request):
    """`render`, cut to an `extract`'s fields when the query names some."""
    if request.extract is None:
        return render
    return lambda record: extract.project(request.extract, render(record))


def _groups(request: v4params.Request, entity):
    page = v4.groups(get_storage(), request, entity)
    return _answer(page.items, lambda row: row, request, page.total)


@blueprint.route(QUERY + "/events", methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def events():
    return _events()


@blueprint.route(QUERY + "/reports", methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def reports(params: dict | None = None):
    request = _parse(REPORTS, v4params.REPORTS_PARAMS, params)
    if request.extract is not None and request.extract.aggregating:
        return _groups(request, REPORTS)
    page = v4.reports(get_storage(), request)
    return _answer(page.items, _projected(v4views.report, request), request, page.total)


@blueprint.route(QUERY + "/reports/{report_hash}/events", methods=["GET", "POST"],
                 content_types=http.ANY_CONTENT)
def report_events(report_hash):
    _report_or_404(report_hash)
    return _events(Compare("report", "=", report_hash))


def _report_or_404(report_hash: str) -> dict:
    """PuppetDB 7 answers every sub-resource of an unknown report 404, in JSON."""
    found = v4.report(get_storage(), report_hash)
    if found is None:
        raise PuppetDBJsonError(404, "not-found",
                                f"No information is known about report {report_hash}")
    return found


@blueprint.route(QUERY + "/reports/{report_hash}/metrics", methods=["GET"],
                 content_types=http.ANY_CONTENT)
def report_metrics(report_hash):
    return http.json_response(v4views.metrics(_report_or_404(report_hash)))


@blueprint.route(QUERY + "/reports/{report_hash}/logs", methods=["GET"],
                 content_types=http.ANY_CONTENT)
def report_logs(report_hash):
    return http.json_response(v4views.logs(_report_or_404(report_hash)))


@blueprint.route(QUERY + "/event-counts", methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def event_counts():
    request = _parse(EVENTS, v4params.EVENT_COUNTS_PARAMS, counting=True)
    summarize_by, page = v4.event_counts(get_storage(), request, settings().event_query_limit)
    return _answer(page.items, lambda r: v4views.event_count(summarize_by, r), request,
                   page.total)


@blueprint.route(QUERY + "/aggregate-event-counts", methods=["GET", "POST"],
                 content_types=http.ANY_CONTENT)
def aggregate_event_counts():
    request = _parse(EVENTS, v4params.AGGREGATE_PARAMS, counting=True, aggregate=True)
    return http.json_response(
        v4.aggregate_event_counts(get_storage(), request, settings().event_query_limit))


# The root endpoint's entities (PQL's, and the AST's from form) -> their endpoint.
ROOT_ENTITIES = {"events": lambda params: _events(params=params),
                 "reports": lambda params: reports(params)}
# PQL's other entities: PuppetDB's, whose data this service does not keep.
NOT_STORED = ("facts", "catalogs", "packages", "package_inventory", "resources", "factsets",
              "fact_paths", "fact_contents", "inventory", "edges")


@blueprint.route(QUERY, methods=["GET", "POST"], content_types=http.ANY_CONTENT)
def root_query():
    """PQL or `["from", <entity>, ...]` (dialects/pql.py): the entity's endpoint answers,
    with the query's paging clauses under the URL's own (PuppetDB 7: the URL wins)."""
    params = _params()
    config = settings()
    try:
        entity, from_query = pql.root_query(params.pop("query", None), config.max_query_bytes,
                                            config.max_query_depth)
    except pql.PqlError as error:
        raise bad_request(str(error)) from None
    if entity in NOT_STORED:
        raise PuppetDBJsonError(404, "not-found", f"This service stores no {entity}: it keeps "
                                "events, reports, nodes and environments")
    if entity not in ROOT_ENTITIES:
        raise bad_request(f"Invalid entity '{entity}' in query")
    return ROOT_ENTITIES[entity]({**from_query, **params})


@blueprint.route("/pdb/meta/v1/version", methods=["GET"], content_types=http.ANY_CONTENT)
def version():
    return http.json_response({"version": PUPPETDB_VERSION})
