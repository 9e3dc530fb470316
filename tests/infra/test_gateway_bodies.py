"""Request bodies through API Gateway (REST API, Lambda proxy integration), modelled
from the packaged template and fed to the real app as Lambda events.

API Gateway passes a body to the function as a UTF-8 string unless the request's
Content-Type matches one of the API's binary media types; then it passes the bytes
base64-encoded with `isBase64Encoded: true` (AWS: "Binary media types for REST APIs").
Puppet Server sends store_report as `Content-Type: application/json` with
`Content-Encoding: gzip` (docs/deploy.md), so the API must treat that body as binary
without Chalice base64-encoding its JSON answers."""
from __future__ import annotations

import base64
import gzip
import json
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import urlencode

import pytest
from chalice.local import LambdaContext, LambdaEventConverter, RouteMatcher

from app import app
from chalicelib import http, storage
from chalicelib.auth import tokens

FIXTURE = Path(__file__).parent.parent / "fixtures" / "puppetdb" / "store_report_v8_1.json"
CHALICE_DEFAULT_BINARY_TYPES = list(app.api.default_binary_types)


def gateway_binary_types(packaged) -> list[str]:
    api = json.loads((packaged[0] / "sam.json").read_text())["Resources"]["RestAPI"]
    return api["Properties"]["DefinitionBody"]["x-amazon-apigateway-binary-media-types"]


def is_binary(content_type: str, binary_types: list[str]) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return any(fnmatch(media_type, pattern.lower()) for pattern in binary_types)


# The admin token of the store under test (app_store), sent with every event.
CREDENTIALS: dict[str, str] = {}


def gateway_event(binary_types, method, path, headers=None, body: bytes | None = None) -> dict:
    headers = {**CREDENTIALS, **(headers or {})}
    event = LambdaEventConverter(RouteMatcher(list(app.routes))).create_lambda_event(
        method, path, headers, None)
    event["requestContext"]["requestId"] = "c0ffee00-0000-4000-8000-000000000000"
    if body is not None:
        if is_binary(headers.get("Content-Type", ""), binary_types):
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
        else:   # a text payload: what is not UTF-8 does not survive
            event["body"], event["isBase64Encoded"] = body.decode("utf-8", errors="replace"), False
    return event


def invoke(event) -> dict:
    return app(event, LambdaContext("api_handler", 512, 29000))


def gzip_report_event(binary_types) -> dict:
    recorded = json.loads(FIXTURE.read_text())
    body = gzip.compress(json.dumps(recorded["body"]).encode("utf-8"))
    path = f"{recorded['request']['path']}?{urlencode(recorded['request']['query'])}"
    return gateway_event(binary_types, "POST", path, {
        "Content-Type": "application/json; charset=utf-8", "Content-Encoding": "gzip",
        "Accept": "application/json"}, body)


def events_of(binary_types, certname) -> list:
    query = urlencode({"query": json.dumps(["=", "certname", certname])})
    response = invoke(gateway_event(binary_types, "GET", f"/experimental/events?{query}"))
    assert response["statusCode"] == 200
    return json.loads(response["body"])


@pytest.fixture
def app_store(store):
    issued = tokens.issue(("admin",), label="gateway bodies")
    store.add_token(issued.token)
    CREDENTIALS["X-Authentication"] = issued.secret
    storage.use(store)
    yield store
    storage.use(None)
    CREDENTIALS.clear()


def test_the_api_takes_every_request_body_as_binary_and_chalice_answers_in_text(packaged):
    assert gateway_binary_types(packaged) == ["*/*"]
    assert not is_binary("application/json", app.api.binary_types)
    assert not is_binary("text/csv", app.api.binary_types)


def test_a_gzip_report_arrives_intact_and_the_answers_are_plain_json(packaged, app_store):
    binary_types = gateway_binary_types(packaged)
    event = gzip_report_event(binary_types)
    assert event["isBase64Encoded"] is True
    response = invoke(event)
    assert response["statusCode"] == 200, response["body"]
    assert not response.get("isBase64Encoded") and "uuid" in json.loads(response["body"])
    assert len(events_of(binary_types, "node-a.anchor.test")) == 13


def test_json_and_csv_bodies_of_other_routes_still_work_base64_encoded(packaged, app_store):
    binary_types = gateway_binary_types(packaged)
    commit = {"commit": {"service": {"id": "classifier"}, "subject": {"id": "kai", "name": "kai"},
                         "objects": [{"id": "g", "name": "g", "type": "node_groups"}],
                         "events": [{"message": "through the gateway"}]}}
    created = invoke(gateway_event(binary_types, "POST", "/activity-api/v2/events",
                                   {"Content-Type": "application/json"}, json.dumps(commit).encode()))
    assert created["statusCode"] == 201, created["body"]
    exported = invoke(gateway_event(binary_types, "GET", "/activity-api/v2/events.csv"))
    assert exported["statusCode"] == 200 and not exported.get("isBase64Encoded")
    assert "through the gateway" in exported["body"]


def test_with_chalices_default_binary_types_the_gzip_report_is_lost(app_store):
    """Why the merge template overrides them: application/json is text to API Gateway."""
    event = gzip_report_event(CHALICE_DEFAULT_BINARY_TYPES)
    assert event["isBase64Encoded"] is False
    assert invoke(event)["statusCode"] == 400
    assert events_of(CHALICE_DEFAULT_BINARY_TYPES, "node-a.anchor.test") == []


def test_binary_types_in_chalice_itself_would_base64_every_json_answer():
    """Why the override is in the template, not in app.api.binary_types: Chalice
    encodes any response whose Content-Type matches, and then demands a matching Accept."""
    answer = http.json_response({"uuid": "x"})
    assert answer.to_dict(["*/*"])["isBase64Encoded"] is True
    assert answer.to_dict(["application/json"])["isBase64Encoded"] is True
    assert "isBase64Encoded" not in answer.to_dict(app.api.binary_types)


def test_binary_types_in_chalice_itself_would_refuse_a_request_without_accept(
        packaged, app_store, monkeypatch):
    binary_types = gateway_binary_types(packaged)
    event = gateway_event(binary_types, "GET", "/activity-api/v2/events")
    assert invoke(event)["statusCode"] == 200
    monkeypatch.setattr(app.api, "binary_types", ["*/*"])
    refused = invoke(event)
    assert refused["statusCode"] == 400 and "Accept header" in base64.b64decode(refused["body"]).decode()
