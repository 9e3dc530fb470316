"""Executes query plans: keyed queries merged in key order, filter expressions,
the residual in Python, offset by skipping, and counts."""
from __future__ import annotations

import heapq
import itertools
from typing import Callable, Iterable, Iterator, Mapping

from ...query import budget, evaluate
from ...query.ast import Node
from ...query.dynamodb import KeyQuery, Plan, compile_filter
from .codec import from_item

PAGE_SIZE = 500


class Runner:
    """Reads one table by a plan. `record` turns an item into the dict the AST
    fields name; `order_key` gives the key-order value used to merge unions."""

    def __init__(self, client, table: str, attributes: Mapping[str, str],
                 array_fields: frozenset[str] = frozenset()):
        self.client, self.table = client, table
        self.attributes, self.array_fields = attributes, array_fields
        self.reads = 0           # items read (ScannedCount), for tests and bench

    def _filter_arguments(self, arguments: dict, node: Node | None) -> dict:
        if node is not None:
            compile_filter(node, self.attributes, self.array_fields).merge_into(arguments)
        return arguments

    def _pages(self, arguments: dict, scan: bool) -> Iterator[dict]:
        """Requests by `arguments` (the caller may change `Limit` between pages).
        Every page's items read are charged to the request's budget (query/budget.py),
        which stops the read with QueryTooExpensive past EVENTS_MAX_ITEMS_READ."""
        operation = self.client.scan if scan else self.client.query
        arguments["TableName"] = self.table
        allowance = budget.current()
        while True:
            response = operation(**arguments)
            self.reads += response.get("ScannedCount", 0)
            if allowance is not None:
                allowance.charge(response.get("ScannedCount", 0))
            yield response
            if "LastEvaluatedKey" not in response:
                return
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _items(self, query: KeyQuery | None, plan: Plan, descending: bool,
               consistent: bool, wanted: int | None = None,
               first: int | None = None) -> Iterator[dict]:
        """`wanted`: how many records the caller will take at most. Without a filter or
        residual every item read is a match, so no request reads beyond that.
        `first`: the first request's Limit when the caller stops early but a filter
        may drop items (an index-backed order); each later page doubles it."""
        exact = wanted is not None and plan.filter is None and plan.residual is None
        arguments = self._filter_arguments(query.arguments() if query else {}, plan.filter)
        growing = first is not None and not exact
        arguments["Limit"] = (min(PAGE_SIZE, wanted) if exact else
                              min(PAGE_SIZE, max(1, first)) if growing else PAGE_SIZE)
        if query is not None:
            arguments["ScanIndexForward"] = not descending
            if consistent and not query.path.index:
                arguments["ConsistentRead"] = True
        taken = 0
        for response in self._pages(arguments, scan=query is None):
            for item in response.get("Items", []):
                record = from_item(item)
                if plan.residual is None or evaluate.matches(plan.residual, record):
                    taken += 1
                    yield record
            if exact:
                arguments["Limit"] = max(1, min(PAGE_SIZE, wanted - taken))
            elif growing:
                arguments["Limit"] = min(PAGE_SIZE, arguments["Limit"] * 2)

    def records(self, plan: Plan, *, descending: bool = False,
                order_key: Callable[[dict], object] | None = None,
                identity: Callable[[dict], object] = lambda r: (r["PK"], r["SK"]),
                consistent: bool = False, wanted: int | None = None,
                first: int | None = None) -> Iterator[dict]:
        """Matching records in key order (a union is merged by `order_key`, duplicates
        dropped); `wanted` and `first` bound what is read (see `_items`)."""
        if plan.is_scan:
            yield from self._items(None, plan, descending, consistent, wanted, first)
            return
        streams = [self._items(q, plan, descending, consistent, wanted, first)
                   for q in plan.queries]
        if len(streams) == 1:
            yield from streams[0]
            return
        merged = heapq.merge(*streams, key=order_key, reverse=descending)
        seen: set = set()
        for record in merged:
            ident = identity(record)
            if ident not in seen:
                seen.add(ident)
                yield record

    def count(self, plan: Plan, **kwargs) -> int:
        """COUNT queries when the key and filter answer the whole question;
        otherwise the matches are read (keys and filtered attributes only would do,
        but a residual needs the record)."""
        if plan.residual is None and len(plan.queries) <= 1:
            query = plan.queries[0] if plan.queries else None
            arguments = self._filter_arguments(query.arguments() if query else {}, plan.filter)
            arguments["Select"] = "COUNT"
            return sum(r["Count"] for r in self._pages(arguments, scan=query is None))
        return sum(1 for _ in self.records(plan, **kwargs))

    def page(self, plan: Plan, offset: int, limit: int, **kwargs) -> list[dict]:
        """Skip `offset` matches (DynamoDB has no OFFSET: they are read and dropped).
        Stops at the last record wanted, so no request is made for the one after it."""
        wanted = offset + limit
        found: list[dict] = []
        if wanted == 0:
            return found
        for index, record in enumerate(self.records(plan, wanted=wanted, **kwargs)):
            if index >= offset:
                found.append(record)
            if index + 1 >= wanted:
                break
        return found


def index_order(plan: Plan, order) -> str | None:
    """"asc"/"desc" when the plan's key order is `order`'s first key (every query on a
    path whose range key starts with that field), else None: the order is not
    index-backed and every match must be read to sort it."""
    if plan.is_scan or not order:
        return None
    field, direction = order[0]
    if all(q.path.range_field == field for q in plan.queries):
        return direction
    return None


def take_ordered(stream: Iterator[dict], wanted: int, field: str,
                 keep: Callable[[list], Iterable[dict]]) -> list[dict]:
    """The first `wanted` records `keep` keeps from `stream` (in `field` order), and
    every later one that ties the last on `field`, so a sort by the full order then
    slices exactly what sorting every match would. `keep` sees the records in chunks
    of what is still wanted (one BatchGetItem of commit items per chunk, say)."""
    taken: list[dict] = []
    while wanted > 0:
        chunk = list(itertools.islice(stream, max(1, wanted - len(taken) + 1)))
        if not chunk:
            return taken
        for record in keep(chunk):
            if len(taken) >= wanted and record.get(field) != taken[wanted - 1].get(field):
                return taken
            taken.append(record)
    return taken
