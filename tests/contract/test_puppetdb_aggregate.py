"""aggregate_events / aggregate_reports (v4 `extract` with functions and `group_by`)
on both adapters: each equals the reference rule (query/aggregate.rows) over what
find_events / find_reports return for the same filter."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chalicelib.puppetdb.dialects import v4 as v4query
from chalicelib.puppetdb.catalogue import EVENTS, REPORTS
from chalicelib.query import aggregate
from chalicelib.query.aggregate import Function
from chalicelib.query.ast import EVERYTHING
from tests.contract.test_puppetdb_v4_store import stored  # noqa: F401  (the module fixture)

COUNT = Function("count")


def _events(store, where):
    return store.find_events(where, EVENTS.tiebreak, 0, None).items


def test_count_by_status_equals_the_rule(stored):
    store, _ = stored
    found = store.aggregate_events(EVERYTHING, ("status",), (COUNT,))
    assert found == aggregate.rows(_events(store, EVERYTHING), ("status",), (COUNT,))
    assert sum(row["count(*)"] for row in found) == len(_events(store, EVERYTHING))
    assert [row["status"] for row in found] == sorted(row["status"] for row in found)


def test_count_is_an_int_and_avg_a_float(stored):
    store, _ = stored
    functions = (COUNT, Function("avg", "line"), Function("sum", "line"),
                 Function("min", "line"), Function("max", "line"))
    (row,) = store.aggregate_events(EVERYTHING, (), functions)
    lines = [e["line"] for e in _events(store, EVERYTHING) if e["line"] is not None]
    assert type(row["count(*)"]) is int and type(row["sum(line)"]) is int
    assert isinstance(row["avg(line)"], float)
    assert row["avg(line)"] == pytest.approx(sum(lines) / len(lines))
    assert (row["min(line)"], row["max(line)"]) == (min(lines), max(lines))


def test_without_group_by_one_row_even_when_nothing_matches(stored):
    store, _ = stored
    where = v4query.parse(["=", "certname", "nobody.example"], EVENTS)
    functions = (COUNT, Function("avg", "line"), Function("max", "timestamp"))
    assert store.aggregate_events(where, (), functions) == [
        {"count(*)": 0, "avg(line)": None, "max(timestamp)": None}]
    assert store.aggregate_events(where, ("status",), functions) == []


def test_count_of_a_field_skips_nulls(stored):
    store, _ = stored
    (row,) = store.aggregate_events(EVERYTHING, (), (COUNT, Function("count", "property")))
    with_property = [e for e in _events(store, EVERYTHING) if e["property"] is not None]
    assert row["count(property)"] == len(with_property) < row["count(*)"]


def test_group_by_a_nullable_boolean_and_the_path(stored):
    store, _ = stored
    group_by = ("corrective_change", "containment_path")
    found = store.aggregate_events(EVERYTHING, group_by, (COUNT,))
    assert found == aggregate.rows(_events(store, EVERYTHING), group_by, (COUNT,))
    assert {type(row["corrective_change"]) for row in found} <= {bool, type(None)}


def test_the_filter_applies_before_grouping(stored):
    store, reports = stored
    where = v4query.parse(["and", ["=", "certname", reports[0].certname],
                           ["=", "latest_report?", True]], EVENTS)
    assert store.aggregate_events(where, ("certname", "status"), (COUNT,)) == \
        aggregate.rows(_events(store, where), ("certname", "status"), (COUNT,))


def test_reports_counted_by_status_per_node(stored):
    store, reports = stored
    where = v4query.parse(["=", "certname", reports[0].certname], REPORTS)
    found = store.aggregate_reports(where, ("status",), (COUNT,))
    listed = store.find_reports(where, REPORTS.tiebreak, 0, None).items
    assert found == aggregate.rows(listed, ("status",), (COUNT,))
    assert sum(row["count(*)"] for row in found) == len(listed) > 0


def test_reports_min_max_of_times_and_numbers(stored):
    store, _ = stored
    functions = (Function("min", "producer_timestamp"), Function("max", "report_format"),
                 Function("avg", "report_format"))
    (row,) = store.aggregate_reports(EVERYTHING, (), functions)
    listed = store.find_reports(EVERYTHING, REPORTS.tiebreak, 0, None).items
    assert row["min(producer_timestamp)"] == min(r["producer_timestamp"] for r in listed)
    assert row["max(report_format)"] == max(r["report_format"] for r in listed)
    assert isinstance(row["avg(report_format)"], float)


def test_distinct_groups_without_functions(stored):
    store, _ = stored
    found = store.aggregate_reports(EVERYTHING, ("certname",), ())
    listed = store.find_reports(EVERYTHING, REPORTS.tiebreak, 0, None).items
    assert found == [{"certname": c} for c in sorted({r["certname"] for r in listed})]


# ------------------------------------------------ generated: every adapter equals the rule

GROUPABLE = ("certname", "status", "resource_type", "property", "containing_class", "line",
             "corrective_change", "containment_path", "timestamp", "new_value")
FUNCTIONS = st.one_of(
    st.just(COUNT),
    st.builds(Function, st.just("count"), st.sampled_from(GROUPABLE)),
    st.builds(Function, st.sampled_from(("avg", "sum", "min", "max")), st.just("line")),
    st.builds(Function, st.sampled_from(("min", "max")),
              st.sampled_from(("certname", "timestamp", "property", "message"))))
FILTERS = st.sampled_from([EVERYTHING, ["=", "status", "failure"], ["=", "latest_report?", True],
                           ["not", ["=", "property", "ensure"]], ["~", "certname", "^node-b"],
                           ["<", "line", 30]])


def _rounded(rows):
    return [{k: round(v, 9) if isinstance(v, float) else v for k, v in row.items()}
            for row in rows]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(group_by=st.lists(st.sampled_from(GROUPABLE), max_size=2, unique=True),
       functions=st.lists(FUNCTIONS, max_size=3, unique=True), query=FILTERS)
def test_generated_aggregates_equal_the_rule(stored, group_by, functions, query):
    store, _ = stored
    where = query if query is EVERYTHING else v4query.parse(query, EVENTS)
    found = store.aggregate_events(where, tuple(group_by), tuple(functions))
    assert _rounded(found) == _rounded(aggregate.rows(_events(store, where), group_by, functions))


def test_nodes_counted_by_status(stored):
    store, reports = stored
    listed = store.find_nodes(EVERYTHING, (("certname", "asc"),), 0, None).items
    found = store.aggregate_nodes(EVERYTHING, ("latest_report_status",), (COUNT,))
    assert found == aggregate.rows(listed, ("latest_report_status",), (COUNT,))
    assert sum(r["count(*)"] for r in found) == len({r.certname for r in reports})


def test_nodes_grouped_by_a_boolean_and_a_time(stored):
    store, _ = stored
    listed = store.find_nodes(EVERYTHING, (("certname", "asc"),), 0, None).items
    functions = (Function("max", "report_timestamp"), Function("count", "deactivated"))
    found = store.aggregate_nodes(EVERYTHING, ("latest_report_noop",), functions)
    assert found == aggregate.rows(listed, ("latest_report_noop",), functions)
    assert {type(r["latest_report_noop"]) for r in found} <= {bool, type(None)}


def test_environments_counted(stored):
    store, _ = stored
    listed = store.find_environments(EVERYTHING, (("name", "asc"),), 0, None).items
    assert store.aggregate_environments(EVERYTHING, (), (COUNT,)) == [{"count(*)": len(listed)}]
    assert store.aggregate_environments(EVERYTHING, ("name",), ()) == listed
