"""chalicelib/openapi.yaml is a valid OpenAPI 3.1 document and describes exactly the
routes the app has (issue 6 item 3)."""
from __future__ import annotations

from openapi_spec_validator import validate

from app import app
from chalicelib import routing
from tests.api_description import operations, spec


def spec_operations() -> set[tuple[str, str]]:
    return set(operations(spec()))


def route_operations() -> set[tuple[str, str]]:
    """The app's operations; the 404/405 refusals chalicelib/routing.py generates are
    not operations."""
    return {(method, path) for path, methods in app.routes.items()
            for method in methods} - routing.GENERATED


def test_the_spec_is_valid_openapi_3_1():
    document = spec()
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_route_is_described():
    assert route_operations() - spec_operations() == set()


def test_every_described_operation_has_a_route():
    assert spec_operations() - route_operations() == set()


def test_every_operation_needs_a_token_and_documents_401_and_403():
    document = spec()
    schemes = document["components"]["securitySchemes"]
    assert (schemes["tokenHeader"]["type"], schemes["tokenHeader"]["in"],
            schemes["tokenHeader"]["name"]) == ("apiKey", "header", "X-Authentication")
    assert (schemes["tokenQuery"]["type"], schemes["tokenQuery"]["in"],
            schemes["tokenQuery"]["name"]) == ("apiKey", "query", "token")
    assert {"tokenHeader": []} in document["security"] and {"tokenQuery": []} in document["security"]
    for key, operation in operations(document).items():
        security = operation.get("security", document["security"])
        assert {} not in security, key                      # no anonymous alternative
        assert {"401", "403"} <= set(operation["responses"]), key
        assert operation.get("x-required-scope"), key


def test_only_store_report_may_authenticate_with_a_client_certificate():
    with_certificates = {key for key, operation in operations(spec()).items()
                         if {"clientCertificate": []} in operation.get("security", [])}
    assert with_certificates == {("POST", "/pdb/cmd/v1")}


def test_operations_that_take_a_body_document_413():
    for (method, path), operation in operations(spec()).items():
        if "requestBody" in operation and method != "GET":   # GET bodies carry parameters only
            assert "413" in operation["responses"], (method, path)


# Where PuppetDB 7 answers JSON `{"error"}` rather than plain text (tests/conformance):
# a command's 400s, and a sub-resource of an unknown report...
PUPPETDB_JSON = {("post", "/pdb/cmd/v1", "400"): ["application/json"]}
PUPPETDB_JSON.update({(method, f"/pdb/query/v4/reports/{{report_hash}}/{child}", "404"):
                      ["application/json"] for method in ("get", "post")
                      for child in ("events", "metrics", "logs")})
# ... an unknown node or environment, and the sub-resources of an unknown environment.
PUPPETDB_JSON.update({(method, path, "404"): ["application/json"] for method in ("get", "post")
                      for path in ("/pdb/query/v4/nodes/{certname}",
                                   "/pdb/query/v4/environments/{environment}",
                                   "/pdb/query/v4/environments/{environment}/reports",
                                   "/pdb/query/v4/environments/{environment}/events")})


def test_error_bodies_are_json_for_orchestrator_and_activity_and_text_for_puppetdb():
    document = spec()
    responses = document["components"]["responses"]
    for (method, path), operation in operations(document).items():
        if path == "/openapi.yaml":
            continue
        expected = ["application/json"] if path.startswith(("/orchestrator/", "/activity-api/")) \
            else ["text/plain"]
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            if "$ref" in response:
                response = responses[response["$ref"].rsplit("/", 1)[1]]
            wanted = PUPPETDB_JSON.get((method.lower(), path, status), expected)
            assert list(response["content"]) == wanted, (method, path, status)
