"""PuppetDB times (issue 13 items 2 and 3): kept to the millisecond, as PuppetDB 7
keeps them, so a time is found by the value it is answered with; and a number in a
v4 time comparison is epoch milliseconds. Both adapters."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

FIXTURE = Path(__file__).parent.parent / "fixtures" / "puppetdb" / "store_report_v8_1.json"
SENT = "2015-02-19T14:33:34.000123+10:00"
ANSWERED = "2015-02-19T04:33:34.000Z"


@pytest.fixture
def stored(client):
    """Fixture report 1 with its first event (and its run) at SENT."""
    body = json.loads(FIXTURE.read_text())["body"]
    body["start_time"] = SENT
    body["resources"][0]["events"][0]["timestamp"] = SENT
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname="
                                + body["certname"], body=json.dumps(body),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    return client


def _v4(client, query, path="/pdb/query/v4/events") -> list[dict]:
    response = client.http.get(path + "?" + urlencode({"query": json.dumps(query)}))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_a_microsecond_time_is_answered_and_found_by_its_millisecond(stored):
    (event,) = _v4(stored, ["=", "timestamp", ANSWERED])
    assert (event["timestamp"], event["run_start_time"]) == (ANSWERED, ANSWERED)


def test_newer_than_the_newest_seen_does_not_give_it_back(stored):
    """The poller's question: `>` the answered time must not find the same event."""
    assert _v4(stored, ["and", [">", "timestamp", ANSWERED], ["<", "timestamp", "2016-01-01"]]) == []


def test_a_query_value_with_microseconds_is_read_to_the_millisecond(stored):
    assert len(_v4(stored, ["=", "timestamp", "2015-02-19T04:33:34.000999Z"])) == 1


def test_report_times_are_kept_to_the_millisecond(stored):
    (report,) = _v4(stored, ["=", "start_time", ANSWERED], "/pdb/query/v4/reports")
    assert report["start_time"] == ANSWERED


def test_the_1_4_endpoint_finds_it_by_the_same_millisecond(stored):
    response = stored.http.get("/experimental/events?" + urlencode(
        {"query": json.dumps(["and", [">=", "timestamp", ANSWERED],
                              ["<", "timestamp", "2015-02-19T04:33:34.001Z"]])}))
    assert len(json.loads(response.body)) == 1


@pytest.mark.parametrize("query,count", [
    (["<", "timestamp", 0], 0),
    ([">", "timestamp", 0], None),                      # every event
    (["=", "timestamp", 1424320414000], 1),             # ANSWERED in epoch milliseconds
])
def test_a_number_is_epoch_milliseconds(stored, query, count):
    everything = _v4(stored, ["~", "certname", "."])
    assert len(_v4(stored, query)) == (len(everything) if count is None else count)


def test_a_fractional_number_is_refused_with_puppetdb_7s_text(stored):
    response = stored.http.get("/pdb/query/v4/events?" + urlencode(
        {"query": json.dumps([">", "timestamp", 1.5])}))
    assert response.status_code == 400
    assert "found for class: java.lang.Double" in response.body.decode()


def test_distinct_start_time_zero_is_the_year_zero(stored):
    response = stored.http.get("/pdb/query/v4/aggregate-event-counts?" + urlencode(
        {"summarize_by": "certname", "distinct_resources": "true",
         "distinct_start_time": "0", "distinct_end_time": "2030-01-01T00:00:00Z"}))
    assert response.status_code == 200
    assert json.loads(response.body)[0]["total"] == 1


@pytest.mark.parametrize("query,count", [(["=", "line", 1.5], 0), (["<", "line", 8.5], None)])
def test_a_fractional_number_compares_with_line_on_both_adapters(stored, query, count):
    """DynamoDB answered 500 (boto3 takes no float); found by tests/conformance."""
    found = _v4(stored, query)
    if count is None:
        assert found and all(e["line"] < 8.5 for e in found)
    else:
        assert len(found) == count
