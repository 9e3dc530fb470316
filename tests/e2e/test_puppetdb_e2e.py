"""PuppetDB API over real HTTP against `chalice local`, on SQLite and on DynamoDB
(moto server, stage prod): a recorded Puppet report plain and gzipped (as Puppet
Server sends it), the v2 form command, and /experimental/events with a query,
paging and include-total."""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

from chalicelib.puppetdb import demo

pytestmark = __import__("pytest").mark.e2e

FIXTURES = Path(__file__).parent.parent / "fixtures" / "puppetdb"
BY_TITLE = json.dumps([{"field": "resource_title"}, {"field": "timestamp"}])


def send_recorded_report(served, http, name: str, compress: bool):
    recorded = json.loads((FIXTURES / name).read_text())
    body = json.dumps(recorded["body"]).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
               "X-Uncompressed-Length": str(len(body))}
    if compress:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    url = f"{served}{recorded['request']['path']}?{urlencode(recorded['request']['query'])}"
    return http.post(url, data=body, headers=headers, timeout=10), recorded


def events(served, http, query, **params):
    return http.get(f"{served}/experimental/events",
                    params={"query": json.dumps(query), **params}, timeout=10)


def answer(response):
    assert response.status_code == 200, response.text
    return response.json()


def event_count(report: dict) -> int:
    """PuppetDB shows a skipped resource as one `skipped` event."""
    return sum(1 if resource.get("skipped") else len(resource["events"])
               for resource in report["resources"])


def test_recorded_reports_plain_and_gzip_are_stored_and_queryable(served, http):
    for name, compress in (("store_report_v8_1.json", False), ("store_report_v8_4.json", True)):
        response, recorded = send_recorded_report(served, http, name, compress)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"uuid"}
        certname = recorded["body"]["certname"]
        stored = answer(events(served, http, ["=", "certname", certname]))
        assert len(stored) == event_count(recorded["body"]) > 0
        assert {e["certname"] for e in stored} == {certname}
        assert {e["configuration-version"] for e in stored} == {recorded["body"]["configuration_version"]}


def test_events_page_with_limit_offset_and_include_total(served, http):
    send_recorded_report(served, http, "store_report_v8_2.json", compress=False)
    query = ["and", ["=", "certname", "node-a.anchor.test"], ["~", "resource-type", "^[A-Z]"]]
    everything = answer(events(served, http, query, **{"order-by": BY_TITLE}))
    assert len(everything) >= 5
    pages, offset = [], 0
    while offset < len(everything):
        page = events(served, http, query, limit="4", offset=str(offset),
                      **{"order-by": BY_TITLE, "include-total": "true"})
        pages += answer(page)
        assert page.headers["X-Records"] == str(len(everything))
        offset += 4
    assert pages == everything
    assert [e["resource-title"] for e in pages] == sorted(e["resource-title"] for e in pages)


def test_v2_form_command_then_query_by_resource_title(served, http):
    command = json.dumps({"command": "store report", "version": 2, "payload": demo.B1})
    response = http.post(f"{served}/v2/commands", timeout=10, data=urlencode(
        {"checksum": hashlib.sha1(command.encode()).hexdigest(), "payload": command}),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert response.status_code == 200, response.text
    (event,) = answer(events(served, http, ["=", "resource-title", "notify, yo"]))
    assert event["certname"] == "foo.local" and event["timestamp"] == "2011-01-01T15:00:01.000Z"


def test_errors_are_plain_text(served, http):
    response = events(served, http, ["=", "no-such-field", "x"])
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "no_such_field is not a queryable object for resource events"


def test_unknown_paths_are_404_and_wrong_methods_405_under_chalice_local(served, http):
    """chalice local answers as the test client and the packaged API do (issue 13)."""
    unknown = http.get(served + "/pdb/query/v4/nodes-of-mars")
    assert (unknown.status_code, unknown.text) == (404, "No route serves /pdb/query/v4/nodes-of-mars")
    wrong = http.delete(served + "/pdb/query/v4/events")
    assert (wrong.status_code, wrong.text) == (405, "PuppetDB queries must be made via GET/POST")
