"""Activity service routes (`/activity-api`, documents 003 and 004): parse, call the store, format."""
from __future__ import annotations

import json

from chalice import Blueprint, Response

from .. import answer_budget, http, limits, timestamps
from ..errors import ApiError
from ..storage import get_storage
from . import csv, parsing, views

blueprint = Blueprint(__name__)


def _request():
    return blueprint.current_request


def _param(name):
    return http.param(_request(), name)


def _param_list(name):
    return http.param_list(_request(), name)


def _page(listing: parsing.Listing):
    return get_storage().list_commits(listing.service_id, listing.where, listing.order,
                                      listing.limit, listing.offset)


def _csv(listing: parsing.Listing, param, version: int) -> Response:
    raw = parsing.csv_raw(param)
    page = _page(listing)
    download = csv.render(page.items, version, raw=raw)
    headers = {"Content-Type": csv.CONTENT_TYPE, "Content-Disposition": csv.disposition(version)}
    next_offset = download.next_offset(listing.offset, len(page.items))
    if next_offset is not None:     # stopped by the answer budget (answer_budget.py)
        headers[answer_budget.NEXT_OFFSET] = str(next_offset)
    if download.truncated:
        headers[csv.TRUNCATED] = "true"
    return Response(body=download.text, status_code=200, headers=headers)


@blueprint.route("/v1/events", methods=["GET"], content_types=http.ANY_CONTENT)
def v1_events():
    return http.json_response(views.v1_page(_page(parsing.v1_listing(_param, _param_list))))


@blueprint.route("/v1/events.csv", methods=["GET"], content_types=http.ANY_CONTENT)
def v1_events_csv():
    return _csv(parsing.v1_listing(_param, _param_list, csv=True), _param, 1)


def _v2_param():
    """Document 004: v2 parameters come in the URL or in a JSON body; the URL wins."""
    raw = _request().raw_body
    if not raw:
        return _param
    try:
        body = limits.body_json(raw)
    except limits.TooComplex as error:
        raise parsing.invalid("body", None, str(error)) from None
    except ValueError:
        raise parsing.invalid("body", None, "The request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise parsing.invalid("body", None, "The request body must be a JSON object")

    def param(name):
        value = _param(name)
        if value is None and body.get(name) is not None:
            found = body[name]
            value = found if isinstance(found, str) else json.dumps(found)
        return value
    return param


@blueprint.route("/v2/events", methods=["GET"], content_types=http.ANY_CONTENT)
def v2_events():
    return http.json_response(views.v2_page(_page(parsing.v2_listing(_v2_param()))))


@blueprint.route("/v2/events.csv", methods=["GET"], content_types=http.ANY_CONTENT)
def v2_events_csv():
    param = _v2_param()
    return _csv(parsing.v2_listing(param, csv=True), param, 2)


def _submit(version: int):
    try:
        body = http.json_body(_request())
    except ValueError as error:
        raise ApiError(400, "malformed-request", str(error)) from None
    commit = parsing.new_commit(body, version=version, now=timestamps.stored(timestamps.now()))
    stored = get_storage().add_commit(commit)
    shown = views.commit_v1(stored) if version == 1 else views.commit_v2(stored)
    return http.json_response({"commit": shown}, status=201)


@blueprint.route("/v1/events", methods=["POST"], content_types=http.ANY_CONTENT)
def v1_submit():
    return _submit(1)


@blueprint.route("/v2/events", methods=["POST"], content_types=http.ANY_CONTENT)
def v2_submit():
    return _submit(2)
