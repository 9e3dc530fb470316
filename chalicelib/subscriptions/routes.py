"""`/subscriptions` (admin scope, auth/scopes.py's default rule): manage webhook
subscriptions, send a test event, read and replay dead letters. Errors are JSON
`{"kind", "msg", "details"}` in the `puppet-events.subscriptions` namespace, as the
orchestrator and activity routes answer (errors.py)."""
from __future__ import annotations

import re
import secrets
import time

from chalice import Blueprint, Response

from .. import http, timestamps
from ..config import settings
from ..errors import ApiError, not_found, validation_error
from ..storage import get_storage
from . import delivery, filters, model, signing, urls

blueprint = Blueprint(__name__)

MAX_DESCRIPTION = 1024
MAX_REPLAY_IDS = 1000
_ID = re.compile(r"^[0-9a-f]{32}$")


def _body(required: bool = True) -> dict:
    request = blueprint.current_request
    if not required and not request.raw_body:
        return {}
    try:
        body = http.json_body(request)
    except ValueError as error:
        raise validation_error(str(error)) from None
    if not isinstance(body, dict):
        raise validation_error("the request body must be a JSON object")
    return body


def _subscription(subscription_id: str) -> model.Subscription:
    found = get_storage().get_subscription(subscription_id) if _ID.match(subscription_id) else None
    if found is None:
        raise not_found("unknown-subscription", f"No subscription exists with id {subscription_id}",
                        id=subscription_id)
    return found


def new_subscription(body: dict) -> model.Subscription:
    """The subscription a POST body asks for; 400 validation-error naming the problem."""
    unknown = sorted(set(body) - {"url", "sources", "filter", "description"})
    if unknown:
        raise validation_error(f"unknown keys: {', '.join(unknown)}", keys=unknown)
    url = urls.check(body.get("url"), settings())
    sources = body.get("sources")
    if not isinstance(sources, list) or not sources \
            or not all(isinstance(s, str) and s in model.SOURCES for s in sources):
        raise validation_error(f"sources must be a non-empty array of: {', '.join(model.SOURCES)}",
                               sources=list(model.SOURCES))
    if len(set(sources)) != len(sources):
        raise validation_error("sources must not repeat a source")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise validation_error(f"description must be a string of at most {MAX_DESCRIPTION} characters")
    chosen = filters.compile_filters(sources, body.get("filter"))
    return model.Subscription(id=secrets.token_hex(16), url=url, sources=tuple(sources),
                              filters=chosen, description=description,
                              created=timestamps.stored_millis(timestamps.now()),
                              salt=signing.new_salt())


@blueprint.route("/subscriptions", methods=["POST"], content_types=http.ANY_CONTENT)
def create():
    subscription = new_subscription(_body())
    try:
        secret = signing.secret_for(subscription.id, subscription.salt)
    except signing.MissingKey as error:
        raise ApiError(503, "not-configured", str(error)) from None
    get_storage().add_subscription(subscription)
    shown = {**_view(subscription), "secret": secret}
    return http.json_response(shown, 201, {"Location": "/subscriptions/" + subscription.id})


def _view(subscription: model.Subscription) -> dict:
    shown = subscription.view()
    shown["created"] = timestamps.seconds(shown["created"])
    return shown


@blueprint.route("/subscriptions", methods=["GET"], content_types=http.ANY_CONTENT)
def listing():
    return http.json_response({"items": [_view(s) for s in get_storage().list_subscriptions()]})


@blueprint.route("/subscriptions/{subscription_id}", methods=["GET"], content_types=http.ANY_CONTENT)
def one(subscription_id):
    return http.json_response(_view(_subscription(subscription_id)))


@blueprint.route("/subscriptions/{subscription_id}", methods=["DELETE"],
                 content_types=http.ANY_CONTENT)
def delete(subscription_id):
    _subscription(subscription_id)
    get_storage().delete_subscription(subscription_id)
    return Response(body="", status_code=204)


@blueprint.route("/subscriptions/{subscription_id}/test", methods=["POST"],
                 content_types=http.ANY_CONTENT)
def test(subscription_id):
    """Send one signed test event now (not queued, not retried) and say how it went."""
    subscription = _subscription(subscription_id)
    now = time.time()
    event = delivery.test_delivery(subscription, now)
    error = delivery.send(subscription, event, now, settings())
    return http.json_response({"delivered": error is None, "webhook_id": event.webhook_id,
                               "error": error})


@blueprint.route("/subscriptions/{subscription_id}/dead-letters", methods=["GET"],
                 content_types=http.ANY_CONTENT)
def dead_letters(subscription_id):
    _subscription(subscription_id)
    return http.json_response({"items": [d.view() for d in
                                         get_storage().dead_letters(subscription_id)]})


@blueprint.route("/subscriptions/{subscription_id}/dead-letters/replay", methods=["POST"],
                 content_types=http.ANY_CONTENT)
def replay(subscription_id):
    """Dead letters back in the queue (all of them, or `{"ids": [...]}`), under their
    own ids, after whatever of the group is pending."""
    _subscription(subscription_id)
    body = _body(required=False)
    # A typo such as {"id": [...]} must not fall through to "replay all".
    unknown = sorted(set(body) - {"ids"})
    if unknown:
        raise validation_error(f"unknown keys: {', '.join(unknown)}", keys=unknown)
    ids = body.get("ids")
    if ids is not None and (not isinstance(ids, list) or len(ids) > MAX_REPLAY_IDS
                            or not all(isinstance(i, str) for i in ids)):
        raise validation_error(f"ids must be an array of at most {MAX_REPLAY_IDS} dead-letter ids")
    replayed = get_storage().replay_dead_letters(subscription_id, ids, time.time())
    return http.json_response({"replayed": replayed})
