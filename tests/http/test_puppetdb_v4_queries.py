"""PuppetDB v4 over HTTP on SQLite: parameters, counting, distinct resources,
ordering and errors. All of this happens above the storage port (dialects/v4.py,
v4.py over find_events, whose semantics the contract tests check on both
adapters), so one adapter suffices and keeps the suite fast."""
from __future__ import annotations

import json

import pytest

from tests.http.test_puppetdb_v4_api import _events, _get, _json, _stored


@pytest.fixture(scope="module")
def loaded_store(tmp_path_factory):
    sqlite_store = _stored("sqlite", tmp_path_factory.mktemp("sqlite"))
    yield sqlite_store
    sqlite_store.close()


@pytest.fixture
def store(loaded_store):
    return loaded_store


@pytest.fixture
def loaded(client):
    return client


def test_pages_in_the_requested_order_cover_everything_once(loaded):
    query = ["=", "certname", "node-b.anchor.test"]
    order = [{"field": "line", "order": "desc"}, {"field": "timestamp"}]
    pages = [_get(loaded, "/pdb/query/v4/events", query=query, order_by=order,
                  limit="10", offset=str(offset), include_total="true") for offset in (0, 10, 20, 30)]
    assert {p.headers["X-Records"] for p in pages} == {"31"}
    events = [e for p in pages for e in _json(p)]
    assert len(events) == 31
    assert sorted(map(json.dumps, events)) == sorted(map(json.dumps, _events(loaded, query=query)))
    assert [e["line"] for e in events] == sorted((e["line"] for e in events), reverse=True)


def test_distinct_resources_keeps_the_newest_event_per_resource(loaded):
    response = _get(loaded, "/pdb/query/v4/events", distinct_resources="true",
                    distinct_start_time="2026-11-22T00:00:00Z",
                    distinct_end_time="2026-11-23T00:00:00Z",
                    query=["=", "certname", "node-a.anchor.test"], include_total="true")
    events = _json(response)
    keys = [(e["resource_type"], e["resource_title"], e["property"], e["name"]) for e in events]
    assert len(keys) == len(set(keys)) == int(response.headers["X-Records"])
    everything = _events(loaded, query=["=", "certname", "node-a.anchor.test"])
    for event in events:
        same = [e for e in everything if (e["resource_type"], e["resource_title"], e["property"],
                                          e["name"]) == (event["resource_type"],
                                                         event["resource_title"],
                                                         event["property"], event["name"])]
        assert event["timestamp"] == max(e["timestamp"] for e in same)


def test_event_counts_by_resource(loaded):
    counts = _json(_get(loaded, "/pdb/query/v4/event-counts", summarize_by="resource",
                        query=["=", "resource_title", "always-fails"]))
    assert counts == [{"subject_type": "resource", "subject": {"type": "Exec", "title": "always-fails"},
                       "failures": 4, "successes": 0, "noops": 2, "skips": 0}]


def test_event_counts_by_certname_counting_certnames_with_a_filter(loaded):
    counts = _json(_get(loaded, "/pdb/query/v4/event-counts", summarize_by="certname",
                        count_by="certname", counts_filter=[">", "skips", 0]))
    assert counts == [
        {"subject_type": "certname", "subject": {"title": t}, "failures": 1, "successes": 1,
         "noops": 1, "skips": 1} for t in ("node-a.anchor.test", "node-b.anchor.test")]


def test_event_counts_by_containing_class_page_with_a_total(loaded):
    response = _get(loaded, "/pdb/query/v4/event-counts", summarize_by="containing_class",
                    include_total="true", limit="1",
                    order_by=[{"field": "successes", "order": "desc"}])
    (top,) = _json(response)
    assert top["subject_type"] == "containing_class" and set(top["subject"]) == {"title"}
    assert int(response.headers["X-Records"]) >= 1 and top["successes"] > 0


def test_aggregate_event_counts_per_summary(loaded):
    answer = _json(_get(loaded, "/pdb/query/v4/aggregate-event-counts",
                        summarize_by="certname,resource", query=["=", "latest_report?", False]))
    assert answer[0] == {"summarize_by": "certname", "successes": 2, "failures": 2, "noops": 2,
                         "skips": 2, "total": 2}
    assert answer[1]["summarize_by"] == "resource" and answer[1]["failures"] == 1


@pytest.mark.parametrize("params,message", [
    ({"query": ["=", "line", "100"]}, 'Argument "100" is incompatible with numeric field "line".'),
    ({"order_by": [{"field": "resource-title"}]},
     "Unrecognized column 'resource-title' specified in :order_by; Supported columns are "
     "'message', 'old_value', 'report_receive_time', 'corrective_change', 'containment_path', "
     "'certname', 'timestamp', 'run_end_time', 'name', 'configuration_version', 'new_value', "
     "'resource_title', 'status', 'property', 'resource_type', 'line', 'environment', "
     "'containing_class', 'run_start_time', 'file', 'report'"),
    # PuppetDB 7.12's own texts, not 1.4's (tests/conformance)
    ({"order_by": "timestamp"},
     "Illegal value 'timestamp' for :order_by; expected a JSON array of maps."),
    ({"order_by": [{"field": "timestamp", "order": "up"}]},
     "Illegal value '{:field \"timestamp\", :order \"up\"}' in :order_by; 'order' must be "
     "either 'asc' or 'desc'"),
    ({"order_by": [{"order": "asc"}]},
     "Illegal value '{:order \"asc\"}' in :order_by; missing required key field."),
    ({"query": ["and"]}, "'and' takes at least one argument, but none were supplied"),
    ({"query": ["or"]}, "'or' takes at least one argument, but none were supplied"),
    ({"query": '["=", "certname" "x"]'},
     "Json parse error at line 1, column 19:\n\n[\"=\", \"certname\" \"x\"]\n"
     "                 ^\n\nUnexpected character ('\"' (code 34)): was expecting comma to "
     "separate Array entries"),
    ({"query": '["=",]'},
     "Json parse error at line 1, column 7:\n\n[\"=\",]\n     ^\n\nUnexpected character "
     "(']' (code 93)): expected a valid value (JSON String, Number, Array, Object or token "
     "'null', 'true' or 'false')"),
    ({"query": "["}, "Json parse error at line 1, column 2:\n\n[\n^\n\nUnexpected end-of-input: "
     "expected close marker for Array (start marker at [Source: (StringReader); line: 1, "
     "column: 1])"),
    ({"distinct_start_time": "0", "distinct_end_time": "1"},
     "'distinct_resources' query parameter must accompany parameters 'distinct_start_time' "
     "and 'distinct_end_time'"),
    ({"foo": "1"}, "Unsupported query parameter 'foo'"),
    ({"limit": "0"}, "Illegal value '0' for :limit; expected a positive non-zero integer."),
    ({"distinct_resources": "true"}, "'distinct_resources' query parameter requires accompanying "
                                     "parameters 'distinct_start_time' and 'distinct_end_time'"),
])
def test_bad_event_requests_are_400_plain_text(client, params, message):
    response = _get(client, "/pdb/query/v4/events", **params)
    assert (response.status_code, response.body.decode()) == (400, message)
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("path", ["/pdb/query/v4/events", "/pdb/query/v4/reports"])
def test_latest_report_is_refused_by_order_by_and_not_offered_as_a_column(client, path):
    """PuppetDB lists it (it lists every queryable field), but it orders nothing."""
    response = _get(client, path, order_by=[{"field": "latest_report?"}])
    assert response.status_code == 400
    text = response.body.decode()
    assert text.startswith("Unrecognized column 'latest_report?' specified in :order_by; "
                           "Supported columns are 'message'" if path.endswith("events") else
                           "Unrecognized column 'latest_report?' specified in :order_by; "
                           "Supported columns are 'receive_time'")
    assert "'latest_report?'" not in text.split("Supported columns are ")[1]


def test_an_unknown_field_is_400_naming_the_entity(client):
    response = _get(client, "/pdb/query/v4/reports", query=["=", "timestamp", "x"])
    assert response.status_code == 400
    assert response.body.decode().startswith("'timestamp' is not a queryable object for reports.")


def test_event_counts_need_summarize_by(client):
    response = _get(client, "/pdb/query/v4/event-counts")
    assert (response.status_code, response.body) == (400, b"Missing required query parameter 'summarize_by'")


def test_past_the_fail_limit_without_limit_is_500_and_limit_pages(loaded, monkeypatch):
    monkeypatch.setenv("EVENT_QUERY_LIMIT", "10")
    assert _get(loaded, "/pdb/query/v4/events").status_code == 500
    assert len(_events(loaded, limit="10")) == 10


def test_a_post_body_that_is_not_an_object_is_400(client):
    response = client.http.post("/pdb/query/v4/events", body="[1]",
                                headers={"Content-Type": "application/json"})
    assert (response.status_code, response.body) == (
        400, b"The request body must be a JSON object of query parameters")


def test_a_client_that_does_not_accept_json_gets_406(client):
    response = client.http.get("/pdb/query/v4/reports", headers={"Accept": "text/html"})
    assert (response.status_code, response.body) == (406, b"must accept application/json")


def test_order_by_report_orders_events_by_report(loaded):
    events = _events(loaded, order_by=[{"field": "report"}], limit="62")
    assert [e["report"] for e in events] == sorted(e["report"] for e in events)
