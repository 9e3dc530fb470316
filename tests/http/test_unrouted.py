"""An unknown path answers 404 and a known path asked with a method it does not serve
405, each in its API's own error format (issue 13; chalicelib/routing.py), not API
Gateway's 403 `Missing Authentication Token` or Chalice's MethodNotAllowedError."""
from __future__ import annotations

import json

import pytest

PE_FORMAT = [  # path, API namespace
    ("/orchestrator/v1/nope", "puppetlabs.orchestrator"),
    ("/orchestrator/v1/jobs/1/nope", "puppetlabs.orchestrator"),
    ("/activity-api/v1/nope", "puppetlabs.activity"),
    ("/activity-api/v2/events/x/y", "puppetlabs.activity"),
]
PUPPETDB_PATHS = ["/pdb/query/v4/nodes-of-mars", "/pdb/nothing/here", "/pdb", "/experimental/x",
                  "/pdb/query/v4/reports/foo", "/v2/commands/x"]


@pytest.mark.parametrize("path,namespace", PE_FORMAT)
def test_an_unknown_pe_path_is_404_in_pe_format(client, path, namespace):
    response = client.http.get(path)
    assert response.status_code == 404
    assert json.loads(response.body) == {"kind": f"{namespace}/not-found",
                                         "msg": f"No route serves {path}", "details": None}


@pytest.mark.parametrize("path", PUPPETDB_PATHS)
def test_an_unknown_puppetdb_path_is_404_in_plain_text(client, path):
    response = client.http.get(path)
    assert (response.status_code, response.body.decode()) == (404, f"No route serves {path}")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_a_wrong_method_on_a_puppetdb_query_is_405_with_puppetdb_7s_text(client):
    response = client.http.request("DELETE", "/pdb/query/v4/events")
    assert (response.status_code, response.body.decode()) == (
        405, "PuppetDB queries must be made via GET/POST")


@pytest.mark.parametrize("method,path,namespace", [
    ("PUT", "/orchestrator/v1/jobs", "puppetlabs.orchestrator"),
    ("DELETE", "/activity-api/v1/events", "puppetlabs.activity")])
def test_a_wrong_method_is_405_in_pe_format(client, method, path, namespace):
    response = client.http.request(method, path)
    assert response.status_code == 405
    assert json.loads(response.body)["kind"] == f"{namespace}/method-not-allowed"


def test_a_wrong_method_on_a_command_endpoint_is_405_in_plain_text(client):
    response = client.http.request("GET", "/pdb/cmd/v1")
    assert (response.status_code, response.body.decode()) == (
        405, "The method GET is not allowed on /pdb/cmd/v1")


def test_an_unknown_path_still_needs_a_token(client):
    assert client.http_as(None).get("/pdb/query/v4/nodes-of-mars").status_code == 401
