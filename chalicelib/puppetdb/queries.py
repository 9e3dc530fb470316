"""The v4 queries over the storage port: events (plain, or distinct per resource),
reports, event counts and their aggregate, nodes and environments
(../shared/notes/puppetdb.md 3; PDB query/event_counts.clj and
aggregate_event_counts.clj, query_eng/engine.clj nodes-query).

Nothing here builds an unbounded answer: without `limit`, a query matching more
than the fail limit fails as /experimental/events does (DESIGN.md "PuppetDB");
counts and distinct_resources read at most the fail limit of events.
"""
from __future__ import annotations

from ..errors import ApiError
from ..paging import Page
from ..query import evaluate
from ..query.ast import (EVERYTHING, And, Compare, In, IsNull, Node, Not, Or, all_of, any_of,
                         fields)
from .catalogue import (COUNT_COLUMNS, ENVIRONMENTS, EVENTS, NEVER_STORED, NODES, REPORTS,
                        STATUS_COUNTS, SUMMARIZE_BY, Entity)
from .dialects import bad_request
from .dialects.v4 import NODE_STATE, NOTHING, Request, Window

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
    where = by_certname_state(store, request.where if where is None else where)
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
    where = by_certname_state(store, request.where)
    return _bounded(lambda o, n: store.find_reports(where, keys, o, n,
                                                    with_total=request.include_total),
                    request.offset, request.limit, REPORT_QUERY_LIMIT)


def report(store, report_hash: str) -> dict | None:
    page = store.find_reports(Compare("hash", "=", report_hash), REPORTS.tiebreak, 0, 1,
                              with_total=False)
    return page.items[0] if page.items else None


# ---------------------------------------------------------------- nodes, environments
# node_state (PDB engine.clj expand-query-node): `active` is neither deactivated nor
# expired; `inactive` is either (PuppetDB also drops nodes deactivated longer than
# node-purge-ttl ago, which it is about to purge: the service keeps them until
# retention does); `any` is every node.
ACTIVE = all_of(IsNull("deactivated"), IsNull("expired"))
INACTIVE = any_of(IsNull("deactivated", False), IsNull("expired", False))
_NODE_TESTS = {"active": ACTIVE, "inactive": INACTIVE, "any": EVERYTHING}


def _replace_leaves(node: Node, replace) -> Node:
    """`node` with each leaf `replace(leaf)` returns (None: kept) swapped in."""
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_replace_leaves(t, replace) for t in node.terms))
    if isinstance(node, Not):
        return Not(_replace_leaves(node.term, replace))
    swapped = replace(node)
    return node if swapped is None else swapped


def _has_node_state(node: Node) -> bool:
    return NODE_STATE in set(fields(node))


def node_tests(where: Node) -> Node:
    """A nodes query with node_state as tests of `deactivated` and `expired`, `active`
    added when the query has none (PDB http/query.clj restrict-query-to-active-nodes),
    and tests of the fields never stored (facts, catalogs) as on NULL."""
    if not _has_node_state(where):
        where = all_of(where, ACTIVE)

    def swap(leaf: Node) -> Node | None:
        if leaf.field == NODE_STATE:
            return _NODE_TESTS[leaf.value]
        if leaf.field in NEVER_STORED:
            return EVERYTHING if isinstance(leaf, IsNull) and leaf.null else NOTHING
        return None
    return _replace_leaves(where, swap)


def by_certname_state(store, where: Node) -> Node:
    """node_state in an events or reports query: certname among (or not among) the
    inactive nodes, read once from the node summaries. PuppetDB adds no default here."""
    if not _has_node_state(where):
        return where
    inactive = tuple(n["certname"] for n in store.find_nodes(
        INACTIVE, NODES.tiebreak, 0, None, with_total=False).items)
    states = {"active": Not(In("certname", inactive)), "inactive": In("certname", inactive),
              "any": EVERYTHING}
    return _replace_leaves(where, lambda leaf: states[leaf.value]
                           if leaf.field == NODE_STATE else None)


def nodes(store, request: Request) -> Page[dict]:
    """Nodes: one summary each, so no fail limit (the answer budget bounds a page)."""
    keys = tuple(k for k in order(request, NODES) if k[0] not in NEVER_STORED)
    return store.find_nodes(node_tests(request.where), keys, request.offset, request.limit,
                            with_total=request.include_total)


def node(store, certname: str) -> dict | None:
    """One node, whatever its state (PDB handlers.clj node-status)."""
    page = store.find_nodes(Compare("certname", "=", certname), NODES.tiebreak, 0, 1,
                            with_total=False)
    return page.items[0] if page.items else None


def environments(store, request: Request) -> Page[dict]:
    def swap(leaf: Node) -> Node | None:
        if leaf.field != NODE_STATE:
            return None
        if leaf.value != "any":     # PuppetDB 7.12's text: environments have no certname
            raise bad_request("Value does not match schema: [(not (map? nil))]")
        return EVERYTHING
    where = _replace_leaves(request.where, swap)
    return store.find_environments(where, order(request, ENVIRONMENTS), request.offset,
                                   request.limit, with_total=request.include_total)


def environment(store, name: str) -> dict | None:
    page = store.find_environments(Compare("name", "=", name), ENVIRONMENTS.tiebreak, 0, 1,
                                   with_total=False)
    return page.items[0] if page.items else None


# ---------------------------------------------------------------- counts

def _source_events(store, request: Request, fail_limit: int) -> list[dict]:
    where = by_certname_state(store, request.where)
    if request.distinct is not None:
        return _distinct(store, where, request.distinct, fail_limit)
    return _all_events(store, where, fail_limit)


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
