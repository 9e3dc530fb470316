"""Orchestrator routes (`/orchestrator/v1`): parse, call the store, format."""
from __future__ import annotations

from chalice import Blueprint

from .. import answer_budget, http
from ..config import settings
from ..errors import ApiError, not_found, validation_error
from ..storage import get_storage
from . import parsing, views
from .model import InvalidEvent, UnknownJob

blueprint = Blueprint(__name__)


def _request():
    return blueprint.current_request


def _unknown_job(number: int) -> ApiError:
    return not_found("unknown-job", f"No job exists with id {number}", id=str(number))


def _existing_job(number: int):
    record = get_storage().get_job(number)
    if record is None:
        raise _unknown_job(number)
    return record


def _body():
    try:
        return http.json_body(_request())
    except ValueError as error:
        raise validation_error(str(error)) from None


@blueprint.route("/jobs", methods=["GET"], content_types=http.ANY_CONTENT)
def list_jobs():
    request = _request()
    where, order_by, order, limit, offset = parsing.job_listing(lambda n: http.param(request, n))
    page = get_storage().list_jobs(where, order_by, order, limit, offset)
    base = http.base_url(request)
    return http.json_response({
        "items": [views.job(base, j) for j in page.items],
        "pagination": {"limit": limit, "offset": offset, "total": page.total},
    })


@blueprint.route("/jobs", methods=["POST"], content_types=http.ANY_CONTENT)
def create_job():
    record = get_storage().create_job(parsing.new_job(_body()),
                                      record_activity=settings().record_job_activity)
    base = http.base_url(_request())
    return http.json_response(
        {"job": {"id": views.job_url(base, record.number), "name": str(record.number)}},
        status=201)


@blueprint.route("/jobs/{job_id}", methods=["GET"], content_types=http.ANY_CONTENT)
def get_job(job_id):
    record = _existing_job(parsing.job_number(job_id))
    return http.json_response(views.job(http.base_url(_request()), record, with_status=True))


@blueprint.route("/jobs/{job_id}/events", methods=["GET"], content_types=http.ANY_CONTENT)
def job_events(job_id):
    request = _request()
    number = parsing.job_number(job_id)
    start = parsing.integer("start", http.param(request, "start"), default=0)
    _existing_job(number)
    events = get_storage().job_events(number, start, parsing.MAX_EVENTS_PER_PAGE)
    # A page stops before the answer budget; next-events continues after its last event.
    items, count = answer_budget.json_array(events, views.event)
    next_id = events[count - 1].id + 1 if count else start
    return http.json_response({
        "next-events": views.next_events(http.base_url(request), number, next_id),
        "items": items,
    })


@blueprint.route("/jobs/{job_id}/events", methods=["POST"], content_types=http.ANY_CONTENT)
def append_job_events(job_id):
    number = parsing.job_number(job_id)
    events = parsing.new_events(_body())
    try:
        stored = get_storage().append_job_events(number, events)
    except UnknownJob:
        raise _unknown_job(number) from None
    except InvalidEvent as error:
        status = 409 if error.kind == "job-complete" else 400
        raise ApiError(status, error.kind, str(error), error.details) from None
    return http.json_response({"items": [views.event(e) for e in stored]}, status=201)


@blueprint.route("/jobs/{job_id}/nodes", methods=["GET"], content_types=http.ANY_CONTENT)
def job_nodes(job_id):
    request = _request()
    number = parsing.job_number(job_id)
    record = _existing_job(number)
    nodes = get_storage().job_nodes(number)
    latest = max((n.latest_event_id or 0 for n in nodes), default=0)
    return http.json_response({
        "next-events": views.next_events(http.base_url(request), number,
                                         max(latest, record.last_event_id) + 1),
        "items": [views.node(n) for n in nodes],
    })


@blueprint.route("/jobs/{job_id}/report", methods=["GET"], content_types=http.ANY_CONTENT)
def job_report(job_id):
    """PE's job report (pe-clients.md 3.1): per node its state, the time that state
    began and the ids of its events. Reads the job's events a page at a time."""
    number = parsing.job_number(job_id)
    record = _existing_job(number)
    store = get_storage()
    return http.json_response({"items": views.report(record, store.job_nodes(number),
                                                     _all_events(store, number))})


def _all_events(store, number: int):
    start, page = 0, parsing.MAX_EVENTS_PER_PAGE
    while True:
        events = store.job_events(number, start, page)
        yield from events
        if len(events) < page:
            return
        start = events[-1].id + 1
