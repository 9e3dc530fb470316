"""PuppetDB routes over HTTP (both adapters): store report (v8 plain and gzip, v2 form),
/experimental/events with paging, the fail limit, and plain-text errors."""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chalicelib.puppetdb import demo

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "puppetdb").glob("store_report_v8_*.json"))


def _send(client, fixture: Path, compress: bool):
    recorded = json.loads(fixture.read_text())
    body = json.dumps(recorded["body"]).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
    if compress:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    path = recorded["request"]["path"] + "?" + urlencode(recorded["request"]["query"])
    return client.http.post(path, headers=headers, body=body)


def _events(client, query, **params):
    headers = params.pop("headers", {})
    path = "/experimental/events?" + urlencode({"query": json.dumps(query), **params})
    return client.http.get(path, headers=headers)


def _store_examples(client, *payloads):
    for payload in payloads:
        command = json.dumps({"command": "store report", "version": 2, "payload": payload})
        form = urlencode({"checksum": hashlib.sha1(command.encode()).hexdigest(), "payload": command})
        response = client.http.post("/v2/commands", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
        assert response.status_code == 200, response.body


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_every_fixture_is_ingested_and_queryable(client, compress):
    certnames = set()
    for fixture in FIXTURES:
        response = _send(client, fixture, compress)
        assert response.status_code == 200, response.body
        assert "uuid" in json.loads(response.body)
        certnames.add(json.loads(fixture.read_text())["request"]["query"]["certname"])
    for certname in certnames:
        answer = _events(client, ["=", "certname", certname])
        events = json.loads(answer.body)
        assert answer.status_code == 200 and events
        assert all(e["certname"] == certname and e["timestamp"].endswith("Z") for e in events)


def test_the_same_report_sent_twice_is_stored_once(client):
    _send(client, FIXTURES[0], False)
    first = json.loads(_events(client, ["~", "certname", "."]).body)
    _send(client, FIXTURES[0], True)
    assert len(json.loads(_events(client, ["~", "certname", "."]).body)) == len(first)


def test_events_answer_puppetdb_keys_and_utc_millisecond_timestamps(client):
    _store_examples(client, demo.B1)
    response = _events(client, ["=", "resource-title", "notify, yo"])
    assert response.headers["Content-Type"].startswith("application/json")
    (event,) = json.loads(response.body)
    assert event["timestamp"] == "2011-01-01T15:00:01.000Z"
    assert event["configuration-version"] == "a81jasj123"
    assert event["old-value"] == ["what", "the", "woah"] and event["new-value"] == "notify, yo"
    assert event["containment-path"] is None and event["line"] == 1
    assert len(event["report"]) == 40


def test_fail_limit_exceeded_is_500_and_limit_replaces_it(client, monkeypatch):
    _store_examples(client, demo.B1)
    monkeypatch.setenv("EVENT_QUERY_LIMIT", "1")
    failed = _events(client, ["=", "certname", "foo.local"])
    assert failed.status_code == 500
    assert failed.body.decode() == "Query returns more than the maximum number of results (max: 1)"
    paged = _events(client, ["=", "certname", "foo.local"], limit="500")
    assert paged.status_code == 200 and len(json.loads(paged.body)) == 3


def test_fail_limit_not_reached_answers_every_event(client, monkeypatch):
    _store_examples(client, demo.B1)
    monkeypatch.setenv("EVENT_QUERY_LIMIT", "3")
    assert len(json.loads(_events(client, ["=", "certname", "foo.local"]).body)) == 3


def test_pages_of_one_cover_all_events_and_x_records_counts_them(client):
    _store_examples(client, demo.B1)
    titles = []
    for offset in (0, 1, 2):
        response = _events(client, ["=", "certname", "foo.local"], limit="1", offset=str(offset),
                           **{"include-total": "true",
                              "order-by": json.dumps([{"field": "resource_title"}])})
        assert response.headers["X-Records"] == "3"
        titles += [e["resource-title"] for e in json.loads(response.body)]
    assert titles == ["hi", "notify, yar", "notify, yo"]


def test_no_x_records_without_include_total(client):
    _store_examples(client, demo.B1)
    assert "X-Records" not in _events(client, ["=", "certname", "foo.local"]).headers


def test_accept_must_allow_json(client):
    _store_examples(client, demo.B1)
    assert _events(client, ["=", "status", "success"], headers={"Accept": "*/*"}).status_code == 200
    refused = _events(client, ["=", "status", "success"], headers={"Accept": "text/html"})
    assert (refused.status_code, refused.body) == (406, b"must accept application/json")


QUERY_ERRORS = [
    ({"query": '["=","foo","foo"]'}, "foo is not a queryable object for resource events"),
    ({"query": '[">","timestamp"]'}, "> requires exactly two arguments, but 1 were supplied"),
    ({"query": '[">","timestamp","foo"]'}, "'foo' is not a valid timestamp value"),
    ({"query": '[">","resource_type","foo"]'},
     "> operator does not support object 'resource_type' for resource events"),
    ({"query": '[">","certname","foo"]'},
     "> operator does not support object 'certname' for resource events"),
    ({"query": '["=","timestamp","2011-01-01T12:00:01-03:00"]'},
     "timestamp is not a queryable object for resource events"),
    ({"query": '["~","latest-report","x"]'},
     "latest_report is not a queryable object for resource events"),
    ({"query": '["~","new-value","x"]'}, "new_value is not a queryable object for resource events"),
    ({"query": "[]"}, "[] is not well-formed: queries must contain at least one operator"),
    ({"query": "{}"}, "{} is not well-formed: queries must be an array"),
    ({"query": '["foo","status","x"]'},
     '["foo", "status", "x"] is not well-formed: query operator \'foo\' is unknown'),
    ({"query": '["not"]'}, "'not' takes exactly one argument, but 0 were supplied"),
    ({"query": '["and"]'}, "and requires at least one term"),
    ({"query": '["=","status","a","b"]'}, "= requires exactly two arguments, but 3 were supplied"),
    ({"query": '["~","status","("]'}, None),
    ({"query": "[not json"}, None),
    ({}, "Missing required query parameter 'query'"),
    ({"query": '["=","status","x"]', "foo": "1"}, "Unsupported query parameter 'foo'"),
    ({"query": '["=","status","x"]', "limit": "0"},
     "Illegal value '0' for :limit; expected a positive non-zero integer."),
    ({"query": '["=","status","x"]', "limit": "abc"},
     "Illegal value 'abc' for :limit; expected a positive non-zero integer."),
    ({"query": '["=","status","x"]', "offset": "-1"},
     "Illegal value '-1' for :offset; expected a non-negative integer."),
    ({"query": '["=","status","x"]', "limit": "\u00b2"},
     "Illegal value '\u00b2' for :limit; expected a positive non-zero integer."),
    ({"query": '["=","status","x"]', "offset": "99999999999999999999"},
     "Illegal value '99999999999999999999' for :offset; expected a non-negative integer."),
    ({"query": '["=","status","x"]', "order-by": '[{"field":"resource-type"}]'}, None),
    ({"query": '["=","status","x"]', "order-by": '[{"field":"status","order":"up"}]'},
     "Unsupported value up for :order; expected one of 'DESC' or 'ASC'"),
    ({"query": '["=","status","x"]', "order-by": '{"field":"status"}'}, None),
    ({"query": '["=","status","x"]', "order-by": '[{"order":"asc"}]'}, None),
]


@pytest.mark.parametrize("params,message", QUERY_ERRORS, ids=[str(p) for p, _ in QUERY_ERRORS])
def test_bad_queries_answer_400_with_puppetdb_text(client, params, message):
    response = client.http.get("/experimental/events?" + urlencode(params))
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    if message is not None:
        assert response.body.decode() == message
    else:
        assert response.body


def test_order_by_rejects_dashed_field_names_with_the_supported_list(client):
    response = client.http.get("/experimental/events?" + urlencode(
        {"query": '["=","status","x"]', "order-by": '[{"field":"resource-type"}]'}))
    assert response.body.decode().startswith(
        "Unrecognized column 'resource-type' specified in :order-by; Supported columns are '")


COMMAND_ERRORS = [
    ({"version": "8", "certname": "a"}, "Command nil for certname nil is invalid. Command was "
     "submitted without query parameters (old format)."),
    ({"command": "store_report", "certname": "a"}, "Version must be a valid integer."),
    ({"command": "store_report", "version": "8"}, 'Command "store report" for certname nil is '
     "invalid. Command is missing required parameters: certname."),
    ({"command": "store_report", "version": "8", "certname": "a", "foo": "b"},
     'Command "store report" for certname "a" is invalid. Command has invalid parameters: foo.'),
    ({"command": "frobnicate", "version": "8", "certname": "a"}, "Command must be one of: "),
    ({"command": "replace_facts", "version": "8", "certname": "a"},
     "takes only the store report and deactivate node commands"),
    ({"command": "store_report", "version": "x", "certname": "a"}, "Version must be a valid integer."),
    ({"command": "store_report", "version": "\u00b2", "certname": "a"}, "Version must be a valid integer."),
    ({"command": "store_report", "version": "2", "certname": "a"}, "is retired"),
]


@pytest.mark.parametrize("params,message", COMMAND_ERRORS, ids=[m for _, m in COMMAND_ERRORS])
def test_bad_store_report_commands_answer_400_and_store_nothing(client, params, message):
    body = json.loads(FIXTURES[0].read_text())["body"]
    response = client.http.post("/pdb/cmd/v1?" + urlencode(params), body=json.dumps(body),
                                headers={"Content-Type": "application/json"})
    # PuppetDB 7's command errors are JSON (tests/conformance)
    assert response.status_code == 400 and response.headers["Content-Type"].startswith(
        "application/json") and message in json.loads(response.body)["error"]
    assert json.loads(_events(client, ["~", "certname", "."]).body) == []


@pytest.mark.parametrize("body", [b"{not json", b'{"certname": "a"}', b"[]"],
                         ids=["invalid-json", "missing-keys", "not-an-object"])
def test_an_invalid_report_body_answers_400_and_stores_nothing(client, body):
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname=a",
                                body=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert json.loads(_events(client, ["~", "certname", "."]).body) == []


def test_a_gzip_bomb_is_refused_with_413(client, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_BODY_BYTES", str(1 << 20))
    bomb = gzip.compress(b"[" * (4 << 20))
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname=a", body=bomb,
                                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 413


def test_v2_command_with_a_wrong_checksum_is_refused(client):
    command = json.dumps({"command": "store report", "version": 2, "payload": demo.B1})
    response = client.http.post("/v2/commands", body=urlencode({"checksum": "0" * 40, "payload": command}),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.body) == (400, b"checksums don't match")


def test_v2_report_events_are_queryable_by_report_hash(client):
    _store_examples(client, demo.B1, demo.B2)
    latest = json.loads(_events(client, ["=", "latest-report", True]).body)
    assert {e["configuration-version"] for e in latest} == {"bja3985a23"}
    by_report = json.loads(_events(client, ["=", "report", latest[0]["report"]]).body)
    assert len(by_report) == 3


@pytest.mark.parametrize("headers", [{"Content-Type": "text/plain"},
                                     {"Content-Type": "application/json", "Content-Encoding": "br"}],
                         ids=["content-type", "content-encoding"])
def test_a_command_in_another_media_type_or_encoding_is_415(client, headers):
    body = json.dumps(json.loads(FIXTURES[0].read_text())["body"])
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname=a",
                                body=body, headers=headers)
    assert response.status_code == 415


def test_a_command_in_another_media_type_is_415_plain_text_as_puppetdb_7_answers(client):
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname=a",
                                body=b"{}", headers={"Content-Type": "text/plain"})
    assert (response.status_code, response.body) == (415, b"content type text/plain not supported")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_a_v2_event_missing_a_key_is_400_and_stores_nothing(client):
    payload = {**demo.B1, "resource-events": [{k: v for k, v in demo.B1["resource-events"][0].items()
                                               if k != "property"}]}
    command = json.dumps({"command": "store report", "version": 2, "payload": payload})
    response = client.http.post("/v2/commands", body=urlencode({"payload": command}),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.body) == (400, b"missing required key 'property'")
    assert json.loads(_events(client, ["~", "certname", "."]).body) == []


def test_a_nul_character_is_stored_and_answered_as_u_fffd(client):
    """PuppetDB 7 stores U+0000 as U+FFFD (tests/conformance); an escaped backslash
    followed by `u0000` is text, not a NUL, and stays."""
    body = json.loads(FIXTURES[0].read_text())["body"]
    event = next(e for r in body["resources"] for e in r.get("events", []))
    event["new_value"] = "a\u0000b"
    event["old_value"] = "\\u0000"
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname="
                                + body["certname"], body=json.dumps(body),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    (stored,) = json.loads(client.http.get("/pdb/query/v4/events?" + urlencode(
        {"query": json.dumps(["=", "new_value", "a\ufffdb"])})).body)
    assert (stored["new_value"], stored["old_value"]) == ("a\ufffdb", "\\u0000")
