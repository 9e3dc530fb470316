"""The v4 queries over the storage port: events (plain, or distinct per resource),
reports, event counts and their aggregate (../shared/notes/puppetdb.md 3;
PDB query/event_counts.clj and aggregate_event_counts.clj).

Nothing here builds an unbounded answer: without `limit`, a query matching more
than the fail limit fails as /experimental/events does (DESIGN.md "PuppetDB");
counts and distinct_resources read at most the fail limit of events.
"""
from __future__ import annotations

from ..errors import ApiError
from ..paging import Page
from ..query import evaluate
from ..query.ast import Compare, Node, all_of
from .catalogue import COUNT_COLUMNS, EVENTS, REPORTS, STATUS_COUNTS, SUMMARIZE_BY, Entity
from .dialects.v4 import Request, Window

REPORT_QUERY_LIMIT = 1000       # reports carry metrics and logs: a smaller fail limit
DISTINCT_KEY = ("certname", "resource_type", "resource_title", "property", "name")


class TooManyResults(ApiError):
    def __init__(self, limit: int):
        super().__init__(500, "too-many-results", "Query returns more than the maximum "
                         f"number of results (max: {limit})")


def order(request: Request, entity: Entity) -> tuple[tuple[str, str], ...]:
    """The client's order in stored field names, then the entity's tiebreak."""
    keys = tuple((entity.order_field(c), d) for c, d in request.order) or entity.default_order
    named = {name for name, _ in keys}
    return keys + tuple(k for k in entity.tiebreak if k[0] not in named)


def _bounded(read, offset: int, limit: int | None, fail_limit: int) -> Page:
    """`read(offset, limit)` with the client's limit, or failing past the fail limit."""
    if limit is not None or fail_limit <= 0:
        return read(offset, limit)
    page = read(offset, fail_limit + 1)
    if len(page.items) > fail_limit:
        raise TooManyResults(fail_limit)
    return page


def events(store, request: Request, fail_limit: int, where: Node | None = None) -> Page[dict]:
    where = request.where if where is None else where
    keys = order(request, EVENTS)
    if request.distinct is None:
        return _bounded(lambda o, n: store.find_events(where, keys, o, n,
                                                       with_total=request.include_total),
                        request.offset, request.limit, fail_limit)
    found = evaluate.sort(_distinct(store, where, request.distinct, fail_limit), keys)
    end = None if request.limit is None else request.offset + request.limit
    return Page(found[request.offset:end], len(found), request.limit, request.offset)


def _all_events(store, where: Node, fail_limit: int) -> list[dict]:
    return list(_bounded(lambda o, n: store.find_events(where, EVENTS.tiebreak, o, n,
                                                        with_total=False),
                         0, None, fail_limit).items)


def _distinct(store, where: Node, window: Window, fail_limit: int) -> list[dict]:
    """The newest event per resource in [start, end), then the query (PDB applies
    the filter after choosing; notes 3)."""
    in_window = all_of(Compare("timestamp", ">=", window.start),
                       Compare("timestamp", "<", window.end))
    newest: dict[tuple, dict] = {}
    for event in _all_events(store, in_window, fail_limit):
        key = tuple(event.get(f) for f in DISTINCT_KEY)
        if key not in newest or (event["timestamp"], event["report"], event["seq"]) > \
                (newest[key]["timestamp"], newest[key]["report"], newest[key]["seq"]):
            newest[key] = event
    # The query runs in the store (it may name latest_report?), within the window.
    matching = {(e["report"], e["seq"]) for e in _all_events(store, all_of(in_window, where),
                                                              fail_limit)}
    return [e for e in newest.values() if (e["report"], e["seq"]) in matching]


def reports(store, request: Request) -> Page[dict]:
    keys = order(request, REPORTS)
    return _bounded(lambda o, n: store.find_reports(request.where, keys, o, n,
                                                    with_total=request.include_total),
                    request.offset, request.limit, REPORT_QUERY_LIMIT)


def report(store, report_hash: str) -> dict | None:
    page = store.find_reports(Compare("hash", "=", report_hash), REPORTS.tiebreak, 0, 1,
                              with_total=False)
    return page.items[0] if page.items else None


# ---------------------------------------------------------------- counts

def _source_events(store, request: Request, fail_limit: int) -> list[dict]:
    if request.distinct is not None:
        return _distinct(store, request.where, request.distinct, fail_limit)
    return _all_events(store, request.where, fail_limit)


def _counts(events: list[dict], summarize_by: str, count_by: str, counts_filter) -> list[dict]:
    """One row per subject: its fields and the four counts (count_by=resource counts
    events; count_by=certname counts distinct certnames per status)."""
    fields = SUMMARIZE_BY[summarize_by]
    rows: dict[tuple, dict] = {}
    seen: set[tuple] = set()
    for event in events:
        subject = tuple(event.get(f) for f in fields)
        column = STATUS_COUNTS.get(event["status"])
        row = rows.setdefault(subject, {**dict(zip(fields, subject)),
                                        **{c: 0 for c in COUNT_COLUMNS}})
        if column is None:
            continue
        if count_by == "certname":
            marker = (subject, event["certname"], event["status"])
            if marker in seen:
                continue
            seen.add(marker)
        row[column] += 1
    found = list(rows.values())
    if counts_filter is not None:
        found = [row for row in found if evaluate.matches(counts_filter, row)]
    return found


def event_counts(store, request: Request, fail_limit: int) -> tuple[str, Page[dict]]:
    summarize_by = request.summarize_by[0]
    rows = _counts(_source_events(store, request, fail_limit), summarize_by,
                   request.count_by, request.counts_filter)
    keys = tuple(request.order) or tuple((f, "asc") for f in SUMMARIZE_BY[summarize_by])
    rows = evaluate.sort(rows, keys)
    end = None if request.limit is None else request.offset + request.limit
    return summarize_by, Page(rows[request.offset:end], len(rows), request.limit, request.offset)


def aggregate_event_counts(store, request: Request, fail_limit: int) -> list[dict]:
    """Per summarize_by value: how many subjects had any success, failure, noop or
    skip, and how many subjects there were."""
    events_read = _source_events(store, request, fail_limit)
    answer = []
    for summarize_by in request.summarize_by:
        rows = _counts(events_read, summarize_by, request.count_by, request.counts_filter)
        answer.append({"summarize_by": summarize_by,
                       **{c: sum(1 for row in rows if row[c] > 0) for c in COUNT_COLUMNS},
                       "total": len(rows)})
    return answer
