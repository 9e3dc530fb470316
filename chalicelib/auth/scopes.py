"""Which scope a request needs, from its route path and method (a rule table).

The first rule whose path prefix and method match decides. A route no rule
names needs `admin` (default deny), so a route added without a rule is closed,
not open. `token_optional` marks the `store report` routes, where a verified,
allowlisted client certificate may stand in for a token (certs.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from .tokens import ADMIN

READ = frozenset({"GET", "HEAD"})
WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANY = READ | WRITE
ANY_TOKEN = None                    # any valid token, whatever its scopes


@dataclass(frozen=True)
class Rule:
    prefix: str                     # of the route path (Chalice's resource path)
    methods: frozenset[str]
    scope: str | None
    certificate_may_submit: bool = False


RULES: tuple[Rule, ...] = (
    Rule("/orchestrator/", READ, "orchestrator:read"),
    Rule("/orchestrator/", WRITE, "orchestrator:write"),
    Rule("/activity-api/", READ, "activity:read"),
    Rule("/activity-api/", WRITE, "activity:write"),
    # PuppetDB: commands write; queries read (v4 queries may be POSTed).
    Rule("/pdb/cmd/", WRITE, "puppetdb:write", certificate_may_submit=True),
    Rule("/v2/commands", WRITE, "puppetdb:write", certificate_may_submit=True),
    Rule("/pdb/query/", ANY, "puppetdb:read"),
    Rule("/pdb/meta/", READ, "puppetdb:read"),
    Rule("/experimental/events", READ, "puppetdb:read"),
    Rule("/metrics/", READ, "puppetdb:read"),        # PuppetDB's population metrics
    Rule("/openapi.yaml", READ, ANY_TOKEN),
)
DEFAULT = Rule("", ANY, ADMIN)


def rule_for(path: str, method: str) -> Rule:
    for rule in RULES:
        if path.startswith(rule.prefix) and method.upper() in rule.methods:
            return rule
    return DEFAULT
