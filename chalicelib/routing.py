"""Answers for requests no route serves, in each API's own error format (issue 13):
an unknown path is 404 and a known path asked with a method it does not serve is 405.

Without this, API Gateway, `chalice local` and the test client all answer an unknown
path 403 `{"message": "Missing Authentication Token"}` (which clients show as a
permission problem) and Chalice answers a wrong method with its own JSON. Both are
decided before the app runs, so the app gets routes for them, generated from its
real routes:
- every route path gets the methods it lacks, answering 405;
- every prefix of a route path that is no route itself (`/pdb`), and one or two
  unknown segments (`{unknown1}`, `{unknown1}/{unknown2}`) under every prefix that has
  no variable child, answer 404 (API Gateway and `chalice local` match path
  parameters one segment at a time: neither backtracks to a greedy `{proxy+}`).
A path three or more unknown segments deep is left to API Gateway's gateway response
(infra/template.py: 404 instead of its 403).

These are refusals, not operations: openapi.yaml does not list them (GENERATED).
"""
from __future__ import annotations

from chalice import Chalice

from .errors import ApiError

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
UNKNOWN = "{{unknown{n}}}"
# An unknown path is answered by the app for GET, what clients and browsers explore with;
# other methods there get API Gateway's gateway response (infra/template.py: 404). One
# route per method per path made the packaged template 1.7 MB, past CloudFormation's
# 1 MB limit (tests/infra/test_package.py runs cfn-lint on it).
UNKNOWN_METHODS = ("GET",)
UNKNOWN_DEPTH = 2      # unknown segments below a known prefix answered by the app
# (method, path) of every generated route, for openapi's route check.
GENERATED: set[tuple[str, str]] = set()
# PuppetDB 7 refuses other methods on its query endpoints with this text (measured,
# tests/conformance); the service keeps it, with HTTP's 405.
PUPPETDB_QUERY_METHODS = "PuppetDB queries must be made via GET/POST"


def method_not_allowed(path: str, method: str) -> ApiError:
    if path.startswith("/pdb/query/"):
        return ApiError(405, "method-not-allowed", PUPPETDB_QUERY_METHODS)
    return ApiError(405, "method-not-allowed", f"The method {method} is not allowed on {path}")


def not_found(path: str) -> ApiError:
    return ApiError(404, "not-found", f"No route serves {path}")


def _path(request) -> str:
    """The path asked (Chalice's `request.path` is the route's pattern)."""
    return (request.context or {}).get("path") or request.path


def _refuse_method(app: Chalice):
    def refuse(**_):
        request = app.current_request
        raise method_not_allowed(_path(request), request.method)
    return refuse


def _refuse_path(app: Chalice):
    def refuse(**_):
        raise not_found(_path(app.current_request))
    return refuse


def _unknown_children(paths) -> list[str]:
    """The prefixes of route paths that are no route themselves, and one `{unknown}`
    child under every path prefix without a variable child."""
    prefixes = {"/"}
    children: dict[str, set[str]] = {}
    for path in paths:
        parts = path.strip("/").split("/")
        for depth in range(len(parts)):
            parent = "/" + "/".join(parts[:depth])
            prefixes.add(parent)
            children.setdefault(parent, set()).add(parts[depth])
        prefixes.add(path)
    found = [prefix for prefix in prefixes if prefix not in paths]   # `/pdb`, `/`, ...
    for prefix in prefixes:
        if not any(c.startswith("{") for c in children.get(prefix, ())):
            for depth in range(1, UNKNOWN_DEPTH + 1):
                tail = "/".join(UNKNOWN.format(n=n) for n in range(1, depth + 1))
                found.append(prefix.rstrip("/") + "/" + tail)
    return sorted(found)


def answer_unrouted(app: Chalice) -> None:
    """Add the 405 and 404 routes to `app` (call after every blueprint)."""
    from .http import ANY_CONTENT
    known = {path: set(entries) for path, entries in app.routes.items()}
    for path, methods in known.items():
        missing = [m for m in METHODS if m not in methods]
        if missing:
            app.route(path, methods=missing, content_types=ANY_CONTENT,
                      name=f"refuse-method:{path}")(_refuse_method(app))
            GENERATED.update((m, path) for m in missing)
    for path in _unknown_children(known):
        if path in known:
            continue
        app.route(path, methods=list(UNKNOWN_METHODS), content_types=ANY_CONTENT,
                  name=f"refuse-path:{path}")(_refuse_path(app))
        GENERATED.update((m, path) for m in UNKNOWN_METHODS)
