"""PuppetDB's population metrics through its metrics v2 (Jolokia) API:
`GET /metrics/v2/read/puppetlabs.puppetdb.population:name=<metric>`.

puppetboard reads `num-nodes` and `num-resources` there for its overview and
radiator pages when they show every environment (`DEFAULT_ENVIRONMENT = '*'`;
puppetboard app.py `index`/`radiator`, reading `["value"]["Value"]`). PuppetDB 7
serves these under its auth.conf rule "puppetlabs puppetdb metrics": a client
that authenticates may read them, so the service serves them to the
`puppetdb:read` scope, like its queries.

The answers are Jolokia 1.x's `read` shape
(`{"request": {"mbean", "type"}, "value": {"Value": n}, "timestamp": <epoch s>,
"status": 200}`), with PuppetDB's meanings (its population.clj): `num-nodes`
counts the active nodes (neither deactivated nor expired); the service stores no
catalogs, so the resource metrics are 0. Any other MBean is Jolokia's
InstanceNotFoundException: HTTP 200 with `"status": 404` and `"error"` in the
body, as Jolokia answers a read of an unregistered MBean.
"""
from __future__ import annotations

import time
from urllib.parse import unquote

from chalice import Blueprint

from .. import http
from ..query.ast import IsNull, all_of
from ..storage import get_storage

DOMAIN = "puppetlabs.puppetdb.population"
NOT_FOUND = "javax.management.InstanceNotFoundException"

blueprint = Blueprint(__name__)


def active_nodes(store) -> int:
    """How many nodes are neither deactivated nor expired (PuppetDB's num-nodes)."""
    active = all_of(IsNull("deactivated"), IsNull("expired"))
    return store.find_nodes(active, (("certname", "asc"),), 0, 1, with_total=True).total


# Metric name -> its value over the store.
POPULATION = {
    "num-nodes": active_nodes,
    "num-resources": lambda store: 0,
    "avg-resources-per-node": lambda store: 0,
    "pct-resource-dupes": lambda store: 0,
}


def read(mbean: str) -> dict:
    """Jolokia's answer to a read of `mbean` (an ObjectName, `domain:name=metric`)."""
    request = {"mbean": mbean, "type": "read"}
    domain, _, properties = mbean.partition(":")
    name = properties[len("name="):] if properties.startswith("name=") else None
    if domain != DOMAIN or name not in POPULATION:
        return {"request": request, "error_type": NOT_FOUND,
                "error": f"{NOT_FOUND} : {mbean}", "status": 404}
    return {"request": request, "value": {"Value": POPULATION[name](get_storage())},
            "timestamp": int(time.time()), "status": 200}


@blueprint.route("/metrics/v2/read/{mbean}", methods=["GET"], content_types=http.ANY_CONTENT)
def read_mbean(mbean):
    # chalice local hands the path segment over still percent-encoded (puppetboard
    # sends `%3A` and `%3D`); API Gateway decodes it. Unquoting a decoded name is a no-op.
    return http.json_response(read(unquote(mbean)))
