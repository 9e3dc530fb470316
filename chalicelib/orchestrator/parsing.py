"""Parsing and validating orchestrator requests into domain records.

Every failure is a 400 `puppetlabs.orchestrator/validation-error` naming the
parameter or body key (documents 000/001, "Error responses").
"""
from __future__ import annotations

import json

from .. import jsontext, paging, timestamps
from ..config import settings
from ..errors import validation_error
from ..limits import key_problem, record_problem, too_large
from ..query.ast import Compare, EVERYTHING, Node, all_of
from .model import (EVENT_TYPES, JOB_TYPES, MAX_EVENTS_PER_REQUEST, MAX_NODES_PER_JOB,
                    NODE_EVENT_STATES, ORDER_FIELDS, NewJob, NewJobEvent)

DEFAULT_JOBS_LIMIT = 1000
MAX_JOBS_LIMIT = 1000
MAX_EVENTS_PER_PAGE = 1000


def integer(name: str, raw: str | None, **bounds) -> int | None:
    try:
        return paging.integer(name, raw, **bounds)
    except paging.InvalidParameter as error:
        raise validation_error(str(error), parameter=name, value=raw) from None


def job_number(raw: str) -> int:
    number = paging.decimal(raw, signed=False) if raw.strip() == raw else None
    if number is None:
        raise validation_error(f"Job id '{raw}' must be an integer no greater than "
                               f"{paging.MAX_INTEGER}", job_id=raw)
    return number


def _timestamp(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return timestamps.normalise(raw)
    except timestamps.InvalidTimestamp:
        raise validation_error(f"Invalid value '{raw}' for parameter '{name}': expected an ISO-8601 timestamp",
                               parameter=name, value=raw) from None


def job_listing(param) -> tuple[Node, str, str, int, int]:
    """(filter, order_by, order, limit, offset) from GET /jobs parameters."""
    try:
        order_by = paging.choice("order_by", param("order_by"), ORDER_FIELDS, default="name")
        order = paging.order("order", param("order"), default=paging.ASC)
        job_type = paging.choice("type", param("type"), JOB_TYPES)
    except paging.InvalidParameter as error:
        raise validation_error(str(error), parameter=error.name, value=error.value) from None
    limit = integer("limit", param("limit"), default=DEFAULT_JOBS_LIMIT, minimum=0,
                    maximum=MAX_JOBS_LIMIT)
    offset = integer("offset", param("offset"), default=0)
    terms = []
    if job_type:
        terms.append(Compare("type", "=", job_type))
    low = _timestamp("min_finish_timestamp", param("min_finish_timestamp"))
    high = _timestamp("max_finish_timestamp", param("max_finish_timestamp"))
    if low:
        terms.append(Compare("finish_timestamp", ">=", low))
    if high:
        terms.append(Compare("finish_timestamp", "<=", high))
    where = all_of(*terms) if terms else EVERYTHING
    return where, order_by, order, limit, offset


def _require(body: dict, key: str, kind: type, label: str):
    value = body.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise validation_error(f"'{key}' must be {label}", key=key)
    return value


def new_job(body: object) -> NewJob:
    if not isinstance(body, dict):
        raise validation_error("The request body must be a JSON object")
    job_type = body.get("type", "deploy")
    if job_type not in JOB_TYPES:
        raise validation_error(f"'type' must be one of {', '.join(JOB_TYPES)}", key="type",
                               value=job_type)
    environment = _require(body, "environment", str, "a string")
    owner = _require(body, "owner", dict, "an object with 'id' and 'login'")
    for key in ("id", "login"):
        if not isinstance(owner.get(key), str) or not owner[key]:
            raise validation_error(f"'owner.{key}' must be a non-empty string", key=f"owner.{key}")
    description = body.get("description", "")
    if not isinstance(description, str):
        raise validation_error("'description' must be a string", key="description")
    nodes = _require(body, "nodes", list, "a non-empty array of node names")
    if not nodes or not all(isinstance(n, str) and n for n in nodes):
        raise validation_error("'nodes' must be a non-empty array of node names", key="nodes")
    if len(set(nodes)) != len(nodes):
        raise validation_error("'nodes' must not name a node twice", key="nodes")
    if len(nodes) > MAX_NODES_PER_JOB:
        raise validation_error(f"A job may have at most {MAX_NODES_PER_JOB} nodes", key="nodes")
    for key, value in (("environment", environment), ("owner.id", owner["id"]),
                       ("owner.login", owner["login"]), *(("nodes", node) for node in nodes)):
        problem = key_problem(value, f"'{key}'")
        if problem:
            raise validation_error(problem, key=key)
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise validation_error("'options' must be an object", key="options")
    unknown = set(body) - {"type", "environment", "owner", "description", "nodes", "options"}
    if unknown:
        raise validation_error(f"Unknown keys in job: {', '.join(sorted(unknown))}",
                               keys=sorted(unknown))
    problem = record_problem(len(json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")),
                             "The job")
    if problem:
        error = too_large(problem)
        error.details = {"key": "job"}
        raise error
    return NewJob(type=job_type, environment=environment, owner_id=owner["id"],
                  owner_login=owner["login"], description=description, nodes=tuple(nodes),
                  options=options, timestamp=timestamps.stored(timestamps.now()))


def _bounded(key: str, text: str, limit: int) -> None:
    """One event's message or details at most `limit` UTF-8 bytes (413): a page holds
    up to MAX_EVENTS_PER_PAGE events and must fit one answer (docs/security.md,
    "Write bounds")."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        error = too_large(f"{key} is {size} bytes; at most {limit} are stored")
        error.details = {"key": key}
        raise error


def new_events(body: object) -> list[NewJobEvent]:
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise validation_error("The request body must be an object with an 'events' array")
    events = body["events"]
    if not events:
        raise validation_error("'events' must not be empty", key="events")
    if len(events) > MAX_EVENTS_PER_REQUEST:
        raise validation_error(f"At most {MAX_EVENTS_PER_REQUEST} events may be sent at once",
                               key="events")
    return [_event(i, e) for i, e in enumerate(events)]


def _event(index: int, event: object) -> NewJobEvent:
    where = f"events[{index}]"
    if not isinstance(event, dict):
        raise validation_error(f"{where} must be an object", key=where)
    event_type = event.get("type")
    if event_type not in EVENT_TYPES:
        raise validation_error(f"{where}.type must be one of {', '.join(EVENT_TYPES)}",
                               key=f"{where}.type", value=event_type)
    details = event.get("details", {})
    if not isinstance(details, dict):
        raise validation_error(f"{where}.details must be an object", key=f"{where}.details")
    if details.get("detail") is not None and not isinstance(details["detail"], dict):
        # A node event's detail becomes the node's details (model._node_after)
        raise validation_error(f"{where}.details.detail must be an object",
                               key=f"{where}.details.detail")
    if event_type in NODE_EVENT_STATES and not isinstance(details.get("node"), str):
        raise validation_error(f"{where}.details.node must name the node of a {event_type} event",
                               key=f"{where}.details.node")
    message = event.get("message", "")
    if not isinstance(message, str):
        raise validation_error(f"{where}.message must be a string", key=f"{where}.message")
    config = settings()
    _bounded(f"{where}.message", message, config.max_job_message_bytes)
    _bounded(f"{where}.details", jsontext.dumps(details), config.max_job_details_bytes)
    raw_time = event.get("timestamp")
    if raw_time is None:
        when = timestamps.stored(timestamps.now())
    else:
        try:
            when = timestamps.normalise(raw_time)
        except timestamps.InvalidTimestamp:
            raise validation_error(f"{where}.timestamp is not an ISO-8601 timestamp",
                                   key=f"{where}.timestamp", value=raw_time) from None
    return NewJobEvent(type=event_type, timestamp=when, details=details, message=message)
