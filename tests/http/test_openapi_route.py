"""GET /openapi.yaml serves the API description."""
from __future__ import annotations

import yaml

from chalicelib.openapi import SPEC_PATH


def test_the_api_description_is_served_as_yaml(client):
    response = client.http.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(response.body) == yaml.safe_load(SPEC_PATH.read_text())
