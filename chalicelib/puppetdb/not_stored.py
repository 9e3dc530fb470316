"""The PuppetDB v4 entities this service does not store (facts, catalogs, resources,
packages; catalogue.NOT_STORED): each of their routes, and a node's or an environment's
facts and resources, answers GET and POST with 404 in PuppetDB's JSON error format,
`{"error": "..."}`, saying so (issue 14 item 2).

A real PuppetDB with no such data answers 200 `[]` (measured); a 404 tells a client the
data is not here rather than that there is none, and clients already treat it as "not
found": pypuppetdb raises requests' HTTPError on it, and puppetboard's `get_or_abort`
turns that into its own 404 page (pypuppetdb 3.2.0 api/base.py `_make_request`;
puppetboard 8.1.0 `get_or_abort`). Like chalicelib/routing.py's 404s these are
refusals, not operations, so openapi.yaml does not list them (GENERATED); its
description names them.
"""
from __future__ import annotations

from chalice import Blueprint

from .. import http, routing
from ..errors import PuppetDBJsonError
from .catalogue import NESTED, NESTED_UNDER, NOT_STORED

QUERY = "/pdb/query/v4"
METHODS = ["GET", "POST"]            # as every v4 query route; other methods are 405

blueprint = Blueprint(__name__)


def message(what: str, path: str) -> str:
    return (f"This service stores Puppet reports and their resource events only, "
            f"no {what}: {path} is not served here")


def error(what: str, path: str) -> PuppetDBJsonError:
    """The 404 for a request at `path` for data made of `what` (e.g. "facts")."""
    return PuppetDBJsonError(404, "not-found", message(what, path))


def _refuse(what: str):
    def refuse(**_):
        request = blueprint.current_request
        raise error(what, (request.context or {}).get("path") or request.path)
    return refuse


def paths() -> dict[str, str]:
    """Every refused route path -> what its entity is made of: each entity's routes, and
    the facts and resources routes below a node and an environment."""
    found = {f"{QUERY}/{entity}{child}": what
             for entity, (what, children) in NOT_STORED.items() for child in ("", *children)}
    for parent in NESTED_UNDER:
        for entity in NESTED:
            what, children = NOT_STORED[entity]
            found.update({f"{QUERY}/{parent}/{entity}{child}": what
                          for child in ("", *children)})
    return found


for _path, _what in paths().items():
    blueprint.route(_path, methods=METHODS, content_types=http.ANY_CONTENT,
                    name=f"not-stored:{_path}")(_refuse(_what))
    routing.GENERATED.update((method, _path) for method in METHODS)
