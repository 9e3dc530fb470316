"""Unknown paths answer 404 and unserved methods 405 in the packaged API too (issue 13):
API Gateway routes them to the app's generated refusals (chalicelib/routing.py), and
answers anything deeper 404 by its gateway response, not 403."""
from __future__ import annotations

import json

import pytest
from chalice.local import RouteMatcher

import app  # noqa: F401  (its import fills routing.GENERATED)
from chalicelib import routing


def _definition(packaged) -> dict:
    sam = json.loads((packaged[0] / "sam.json").read_text())
    return sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]


def test_every_route_path_has_every_method_so_the_app_answers_405(packaged):
    """A path the app serves has every method (the app answers 405); an unknown path
    only GET (routing.UNKNOWN_METHODS: the template stays under CloudFormation's 1 MB),
    and any other method there is the gateway response's 404 (below)."""
    unknown = {path for _, path in routing.GENERATED
               if ("PUT", path) not in routing.GENERATED and ("GET", path) in routing.GENERATED
               and ("POST", path) not in routing.GENERATED}
    for path, operations in _definition(packaged)["paths"].items():
        wanted = routing.UNKNOWN_METHODS if path in unknown else routing.METHODS
        assert {m.lower() for m in wanted} <= set(operations), path


def test_the_packaged_template_is_under_cloudformations_limit(packaged):
    assert (packaged[0] / "sam.json").stat().st_size < 1_000_000


@pytest.mark.parametrize("path", ["/pdb/query/v4/nodes-of-mars", "/pdb/nothing/here", "/pdb",
                                  "/orchestrator/v1/nope", "/activity-api/v9/x", "/",
                                  "/pdb/query/v4/reports/foo", "/openapi.yaml/x"])
def test_unknown_paths_reach_the_apps_404(packaged, path):
    # API Gateway matches one segment at a time, as chalice's RouteMatcher does.
    route = RouteMatcher(list(_definition(packaged)["paths"])).match_route(path).route
    assert ("GET", route) in routing.GENERATED


def test_deeper_unknown_paths_are_404_not_403(packaged):
    response = _definition(packaged)["x-amazon-apigateway-gateway-responses"][
        "MISSING_AUTHENTICATION_TOKEN"]
    assert response["statusCode"] == 404
    assert json.loads(response["responseTemplates"]["application/json"])["kind"] == "not-found"
