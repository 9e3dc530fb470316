"""What the tests know about chalicelib/openapi.yaml: the document and its operations."""
from __future__ import annotations

import yaml

from chalicelib.openapi import SPEC_PATH

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}

def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def operations(document: dict) -> dict[tuple[str, str], dict]:
    """(METHOD, path) -> the operation object."""
    return {(method.upper(), path): operation
            for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS}
