"""What the tests know about chalicelib/openapi.yaml: the document, its operations,
and which of them have no route yet."""
from __future__ import annotations

import yaml

from chalicelib.openapi import SPEC_PATH

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}

# Operations described in the spec whose routes are being built on another branch
# (PuppetDB v4, issue 5). The lead empties this at merge: the spec/route comparison
# in tests/unit/test_openapi.py is exact apart from these, and the schemathesis run
# (tests/e2e/test_schemathesis.py) skips them.
AWAITING_IMPLEMENTATION = {
    ("GET", "/pdb/query/v4/events"),
    ("POST", "/pdb/query/v4/events"),
    ("GET", "/pdb/query/v4/reports"),
    ("POST", "/pdb/query/v4/reports"),
    ("GET", "/pdb/query/v4/reports/{report_hash}/events"),
    ("POST", "/pdb/query/v4/reports/{report_hash}/events"),
    ("GET", "/pdb/query/v4/reports/{report_hash}/metrics"),
    ("GET", "/pdb/query/v4/reports/{report_hash}/logs"),
    ("GET", "/pdb/query/v4/event-counts"),
    ("POST", "/pdb/query/v4/event-counts"),
    ("GET", "/pdb/query/v4/aggregate-event-counts"),
    ("POST", "/pdb/query/v4/aggregate-event-counts"),
    ("GET", "/pdb/meta/v1/version"),
}


def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def operations(document: dict) -> dict[tuple[str, str], dict]:
    """(METHOD, path) -> the operation object."""
    return {(method.upper(), path): operation
            for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS}
