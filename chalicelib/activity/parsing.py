"""Parsing activity-service requests (documents 003 and 004) into the common AST
and domain records. Every failure is a 400 `puppetlabs.activity/<kind>` whose
details name the parameter (RBAC-style errors, ../shared/notes/pe-clients.md 3.2).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from .. import limits, paging, timestamps
from ..config import settings
from ..errors import ApiError
from ..query import cost
from ..query.ast import Compare, Contains, EVERYTHING, In, Node, all_of, any_of
from .model import (MAX_OBJECTS_PER_COMMIT, OBJECT_TYPES, SUBJECT_TYPES, Entity, NewCommit,
                    object_key)

DEFAULT_LIMIT = 1000           # documents 003 and 004
DEFAULT_CSV_LIMIT = 10000      # PE 3.8 docs: the CSV default (pe-clients.md 3.2)
MAX_INTEGER = 10 ** 15         # keeps offset + limit inside SQLite's integers and our sort keys
QUERY_ITEM_KEYS = {"subject_id", "subject_type", "object_type", "object_id", "ip_address",
                   "start", "end"}


@dataclass(frozen=True)
class Listing:
    service_id: str | None
    where: Node                # without the service condition
    order: str
    limit: int
    offset: int


def invalid(parameter: str, value: object, msg: str) -> ApiError:
    return ApiError(400, "invalid-parameter", msg, {"parameter": parameter, "value": value})


def _missing(parameter: str, msg: str) -> ApiError:
    return ApiError(400, "missing-parameter", msg, {"parameter": parameter})


def _paging(param: Callable[[str], str | None], default_limit: int) -> tuple[str, int, int]:
    maximum = settings().max_page_limit
    try:
        order = paging.order("order", param("order"), default=paging.DESC)
        limit = paging.integer("limit", param("limit"), default=min(default_limit, maximum),
                               minimum=1, maximum=maximum)
        offset = paging.integer("offset", param("offset"), default=0, minimum=0,
                                maximum=MAX_INTEGER)
    except paging.InvalidParameter as error:
        raise invalid(error.name, error.value, str(error)) from None
    return order, limit, offset


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise invalid(name, value, f"Invalid value '{value}' for parameter '{name}': "
                                   f"expected one of {', '.join(allowed)}")
    return value


def _timestamp(name: str, value: object) -> str:
    try:
        return timestamps.normalise(value)
    except timestamps.InvalidTimestamp:
        raise invalid(name, value, f"Invalid value '{value}' for parameter '{name}': "
                                   "expected an ISO-8601 timestamp") from None


def _service(raw: str | None, required: bool) -> str | None:
    if raw is None or not raw.strip():
        if required:
            raise _missing("service_id", "The 'service_id' parameter is required")
        return None
    return raw.strip()


def v1_listing(param, param_list, *, csv: bool = False) -> Listing:
    """GET /v1/events[.csv] (document 003; order and after_service_commit_time from 2019.8+)."""
    service_id = _service(param("service_id"), required=True)
    order, limit, offset = _paging(param, DEFAULT_CSV_LIMIT if csv else DEFAULT_LIMIT)
    terms: list[Node] = []
    subject_type, subject_ids = param("subject_type"), param_list("subject_id")
    if subject_type is not None:
        terms.append(Compare("subject_type", "=", _choice("subject_type", subject_type, SUBJECT_TYPES)))
    if subject_ids:
        if subject_type is None:
            raise _missing("subject_type", "'subject_id' requires 'subject_type'")
        terms.append(_within_cost("subject_id", _one_of("subject_id", subject_ids)))
    object_type, object_ids = param("object_type"), param_list("object_id")
    if object_type is not None:
        _choice("object_type", object_type, OBJECT_TYPES)
        if object_ids:
            # Several keys: an Or of equalities (each a keyed read on DynamoDB).
            terms.append(_within_cost("object_id", any_of(
                *(Compare("object_keys", "=", object_key(object_type, i))
                  for i in dict.fromkeys(object_ids)))))
        else:
            terms.append(Compare("object_types", "=", object_type))
    elif object_ids:
        raise _missing("object_type", "'object_id' requires 'object_type'")
    after = param("after_service_commit_time")
    if after is not None:
        terms.append(Compare("timestamp", ">", _timestamp("after_service_commit_time", after)))
    where = _within_cost(None, all_of(*terms)) if terms else EVERYTHING
    return Listing(service_id, where, order, limit, offset)


def _within_cost(parameter: str | None, node: Node) -> Node:
    """`node` held to the query cost caps (query/cost.py), else a 400 naming the
    parameter (v1: each id list, then the whole filter with no one parameter to
    name; v2: `query`)."""
    try:
        return cost.check(node)
    except cost.TooCostly as error:
        raise invalid(parameter, None, str(error)) from None


def csv_raw(param) -> bool:
    """`raw=true` on a CSV download: cells as submitted, formula cells included
    (csv.py; beyond PE's API). Default false."""
    return _choice("raw", param("raw") or "false", ("true", "false")) == "true"


def _one_of(name: str, values: list[str]) -> Node:
    unique = tuple(dict.fromkeys(values))
    return Compare(name, "=", unique[0]) if len(unique) == 1 else In(name, unique)


def v2_listing(param, *, csv: bool = False) -> Listing:
    """GET /v2/events[.csv] (document 004): OR across query items, AND with start/end."""
    service_id = _service(param("service_id"), required=False)
    order, limit, offset = _paging(param, DEFAULT_CSV_LIMIT if csv else DEFAULT_LIMIT)
    alternatives, ranges = _query_items(param("query"))
    terms: list[Node] = []
    if alternatives:
        terms.append(any_of(*alternatives))
    terms.extend(ranges)
    where = _within_cost("query", all_of(*terms)) if terms else EVERYTHING
    return Listing(service_id, where, order, limit, offset)


def _query_items(raw: str | None) -> tuple[list[Node], list[Node]]:
    if raw is None or not raw.strip():
        return [], []
    try:
        items = limits.query_json(raw, "query")
    except limits.TooComplex as error:
        raise invalid("query", None, str(error)) from None
    except ValueError:
        raise invalid("query", raw, "The 'query' parameter must be a JSON array of objects") from None
    if isinstance(items, dict) and isinstance(items.get("query"), list):
        items = items["query"]     # document 004's --data-urlencode '{"query": [...]}' form
    if not isinstance(items, list) or not all(isinstance(i, dict) and i for i in items):
        raise invalid("query", raw, "The 'query' parameter must be a JSON array of objects")
    alternatives: list[Node] = []
    ranges: list[Node] = []
    for item in items:
        unknown = sorted(set(item) - QUERY_ITEM_KEYS)
        if unknown:
            raise invalid("query", item, f"Unknown key '{unknown[0]}' in a query item")
        for key, value in item.items():
            if not isinstance(value, str):
                raise invalid(key, value, f"The value of '{key}' must be a string")
        keys = set(item)
        if keys & {"start", "end"}:
            if keys != {"start", "end"}:
                missing = "end" if "start" in keys else "start"
                if keys - {"start", "end"}:
                    raise invalid("query", item, "'start' and 'end' go in their own query item")
                raise _missing(missing, "'start' and 'end' must be given together")
            ranges.append(all_of(Compare("timestamp", ">=", _timestamp("start", item["start"])),
                                 Compare("timestamp", "<=", _timestamp("end", item["end"]))))
        elif keys & {"subject_id", "subject_type"}:
            if keys - {"subject_id", "subject_type"}:
                raise invalid("query", item, "A subject query item holds only subject_id and subject_type")
            if "subject_id" not in keys:
                raise _missing("subject_id", "'subject_type' requires 'subject_id'")
            _choice("subject_type", item.get("subject_type", "users"), SUBJECT_TYPES)
            alternatives.append(Compare("subject_id", "=", item["subject_id"]))
        elif keys & {"object_type", "object_id"}:
            if keys - {"object_type", "object_id"}:
                raise invalid("query", item, "An object query item holds only object_type and object_id")
            if "object_type" not in keys:
                raise _missing("object_type", "'object_id' requires 'object_type'")
            object_type = _choice("object_type", item["object_type"], OBJECT_TYPES)
            alternatives.append(Compare("object_keys", "=", object_key(object_type, item["object_id"]))
                                if "object_id" in keys else Compare("object_types", "=", object_type))
        else:   # keys == {"ip_address"}
            if keys != {"ip_address"}:
                raise invalid("query", item, "An ip_address query item holds only ip_address")
            alternatives.append(Contains("ip_address", item["ip_address"]))
    return alternatives, ranges


# ---------------------------------------------------------------- the write side

def _malformed(msg: str, **details: object) -> ApiError:
    return ApiError(400, "malformed-request", msg, details or None)


def _entity(where: str, value: object, *, need_type: bool = False) -> Entity:
    if not isinstance(value, dict) or not isinstance(value.get("id"), (str, int)) \
            or isinstance(value.get("id"), bool):
        raise _malformed(f"'{where}' must be an object with an 'id'", key=where)
    name, kind = value.get("name"), value.get("type")
    if name is not None and not isinstance(name, str):
        raise _malformed(f"'{where}.name' must be a string", key=f"{where}.name")
    if kind is not None and not isinstance(kind, str):
        raise _malformed(f"'{where}.type' must be a string", key=f"{where}.type")
    if need_type and not kind:
        raise _malformed(f"'{where}.type' is required", key=f"{where}.type")
    _keyable(f"{where}.id", str(value["id"]))
    if kind is not None:
        _keyable(f"{where}.type", kind)
    return Entity(str(value["id"]), name, kind)


def _keyable(key: str, value: str) -> None:
    """Ids and types the stores key by, within the key rule (limits.key_problem)."""
    problem = limits.key_problem(value, f"'{key}'")
    if problem:
        raise _malformed(problem, key=key)


def new_commit(body: object, *, version: int, now: str) -> NewCommit:
    """`{"commit": {...}}` of POST /v1|v2/events (DESIGN.md "Activity service").
    The timestamp is kept to the millisecond, as PE keeps it: the CSV's Submit Time
    (document 003) then shows the stored instant exactly."""
    if not isinstance(body, dict) or not isinstance(body.get("commit"), dict):
        raise _malformed("The body must be a JSON object with a 'commit' object", key="commit")
    commit = body["commit"]
    service = commit.get("service")
    if not isinstance(service, dict) or not isinstance(service.get("id"), str) \
            or not service["id"].strip():
        raise _malformed("'commit.service.id' is required", key="commit.service.id")
    _keyable("commit.service.id", service["id"].strip())
    # Any subject/object type is stored: producers outside document 003's lists
    # (e.g. puppetserver's CA) must not lose their commits.
    subject = _entity("commit.subject", commit.get("subject"))
    if version == 1:
        raw_objects = [commit["object"]] if "object" in commit else commit.get("objects")
    else:
        raw_objects = commit.get("objects")
        if raw_objects is None and "object" in commit:
            raw_objects = [commit["object"]]
    if not isinstance(raw_objects, list) or not raw_objects:
        key = "commit.object" if version == 1 else "commit.objects"
        raise _malformed(f"'{key}' is required", key=key)
    if len(raw_objects) > MAX_OBJECTS_PER_COMMIT:
        raise _malformed(f"A commit may have at most {MAX_OBJECTS_PER_COMMIT} objects",
                         key="commit.objects")
    objects = tuple(_entity(f"commit.objects[{i}]", o, need_type=True)
                    for i, o in enumerate(raw_objects))
    events = commit.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise _malformed("'commit.events' must be an array of objects", key="commit.events")
    rows, cap = len(objects) * max(len(events), 1), settings().max_commit_rows
    if rows > cap:
        # A commit is one CSV row per object and event (activity/csv.py): bounded
        # here, so that no download can be made unservable by one commit.
        raise ApiError(413, "request-too-large",
                       f"A commit may have at most {cap} objects x events; this one has "
                       f"{len(objects)} x {len(events)}", {"key": "commit.events"})
    size = len(json.dumps(commit, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    problem = limits.record_problem(size, "The commit")
    if problem:
        raise ApiError(413, "request-too-large", problem, {"key": "commit"})
    ip_address = commit.get("ip_address", commit.get("ip-address"))
    if ip_address is not None and not isinstance(ip_address, str):
        raise _malformed("'commit.ip_address' must be a string", key="commit.ip_address")
    raw_time = commit.get("timestamp")
    if raw_time is None:
        stamp = timestamps.stored_millis(now)
    else:
        try:
            stamp = timestamps.stored_millis(timestamps.normalise(raw_time))
        except timestamps.InvalidTimestamp:
            raise _malformed(f"'commit.timestamp' is not an ISO-8601 timestamp: {raw_time!r}",
                             key="commit.timestamp") from None
    return NewCommit(service_id=service["id"].strip(), subject=subject, objects=objects,
                     timestamp=stamp, events=tuple(events), ip_address=ip_address or None)
