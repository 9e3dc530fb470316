"""PuppetDB v4 entities the service does not store (issue 14 item 2): facts, catalogs,
resources, packages and their sub-routes answer 404 `{"error": ...}` naming what is not
stored, for GET and POST, on both adapters; other methods 405; no credential 401."""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.puppetdb import not_stored
from chalicelib.puppetdb.catalogue import NOT_STORED

PATHS = not_stored.paths()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "node-a.anchor.test", path)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_route_of_an_unstored_entity_is_a_json_404_saying_so(client, path):
    asked = _concrete(path)
    response = client.http.get(asked)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body) == {"error": (
        "This service stores Puppet reports and their resource events only, "
        f"no {PATHS[path]}: {asked} is not served here")}


def test_the_families_name_what_is_missing(client):
    bodies = {p: json.loads(client.http.get(p).body)["error"] for p in (
        "/pdb/query/v4/facts", "/pdb/query/v4/fact-names", "/pdb/query/v4/inventory",
        "/pdb/query/v4/catalogs/node-a.anchor.test", "/pdb/query/v4/resources/File/x",
        "/pdb/query/v4/package-inventory", "/pdb/query/v4/nodes/node-a.anchor.test/facts",
        "/pdb/query/v4/environments/production/resources")}
    assert "no facts:" in bodies["/pdb/query/v4/facts"]
    assert "no facts:" in bodies["/pdb/query/v4/fact-names"]
    assert "no facts:" in bodies["/pdb/query/v4/inventory"]
    assert "no catalogs:" in bodies["/pdb/query/v4/catalogs/node-a.anchor.test"]
    assert "no resources:" in bodies["/pdb/query/v4/resources/File/x"]
    assert "no packages:" in bodies["/pdb/query/v4/package-inventory"]
    assert "no facts:" in bodies["/pdb/query/v4/nodes/node-a.anchor.test/facts"]
    assert "no resources:" in bodies["/pdb/query/v4/environments/production/resources"]


def test_a_nodes_and_an_environments_facts_and_resources_are_refused_too():
    nested = {p for p in PATHS if p.startswith(("/pdb/query/v4/nodes/", "/pdb/query/v4/environments/"))}
    assert {p.split("/")[6] for p in nested} == {"facts", "resources"}
    assert "/pdb/query/v4/nodes/{certname}/resources/{type}/{title}" in nested
    assert "/pdb/query/v4/environments/{environment}/facts/{fact}/{value}" in nested


def test_a_post_with_a_query_body_is_the_same_404(client):
    response = client.http.post("/pdb/query/v4/facts", body=json.dumps(
        {"query": ["=", "name", "osfamily"]}).encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 404
    assert "no facts" in json.loads(response.body)["error"]


def test_other_methods_are_405_and_no_credential_is_401(client):
    assert client.http.request("DELETE", "/pdb/query/v4/catalogs", body=b"").status_code == 405
    anonymous = client.http_as(None).get("/pdb/query/v4/facts")
    assert (anonymous.status_code, anonymous.body) == (401, b"Route requires authentication")


def test_every_puppetdb_7_entity_is_served_or_refused():
    """PuppetDB 7.12.1's v4 entities (http/server.clj) minus what the service answers;
    nodes, environments and producers are left to their own routes."""
    puppetdb_7 = {"facts", "edges", "factsets", "inventory", "package-inventory", "packages",
                  "fact-names", "fact-contents", "fact-paths", "nodes", "environments",
                  "producers", "resources", "catalogs", "catalog-input-contents",
                  "catalog-inputs", "events", "event-counts", "aggregate-event-counts", "reports"}
    served_elsewhere = {"events", "event-counts", "aggregate-event-counts", "reports", "nodes",
                        "environments", "producers"}
    assert set(NOT_STORED) == puppetdb_7 - served_elsewhere
