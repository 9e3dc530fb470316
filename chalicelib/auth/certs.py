"""Client certificates: `store report` submission and scoped access
(shared contract 3; docs/security.md "Client certificates").

The certificate is verified at the TLS edge, never here: API Gateway mutual TLS
puts the verified subject in `requestContext.identity.clientCert.subjectDN`; a
local TLS front (nginx) sets the header named by EVENTS_CLIENT_CERT_HEADER to
its `$ssl_client_s_dn` and overwrites any copy the client sent. With that
setting unset, no header is trusted. Puppet's report processor cannot send a
token, so an allowlisted CN may submit reports, as PuppetDB's
`certificate-allowlist` allows: for its own certname (EVENTS_CERT_ALLOWLIST) or
for any (EVENTS_CERT_SUBMIT_ALL, e.g. a Puppet Server). Clients that read with a
certificate and no token (puppetboard, pypuppetdb) get scopes by CN from
EVENTS_CERT_SCOPES, as PuppetDB's allowlist admits a CN to its queries; where a
token's scope is checked, the certificate's scopes are checked the same way.
"""
from __future__ import annotations

import re

from ..config import Settings
from ..errors import ApiError

# An RFC 2253 attribute: TYPE=value, where value may contain escaped characters.
_ATTRIBUTE = re.compile(r"\s*([A-Za-z][\w.-]*)\s*=\s*((?:\\.|[^,+\\])*)")


def _unescape(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


def common_name(subject_dn: str | None) -> str | None:
    """The CN of an RFC 2253 DN (`CN=node-a.example,O=Example`); None when there
    is none or more than one (an ambiguous subject is not trusted). A value with no
    `=` at all is taken as the name itself, as AWS's sample mutual-TLS events show
    (`"subjectDN": "www.example.com"`); the value comes from the trusted edge either way."""
    if not subject_dn or not subject_dn.strip():
        return None
    if "=" not in subject_dn:
        return subject_dn.strip() if "," not in subject_dn else None
    names, position = [], 0
    while position < len(subject_dn):
        match = _ATTRIBUTE.match(subject_dn, position)
        if not match:
            return None
        if match.group(1).upper() == "CN":
            names.append(_unescape(match.group(2)))
        position = match.end()
        if position < len(subject_dn):
            if subject_dn[position] not in ",+;":
                return None
            position += 1
    return names[0] if len(names) == 1 and names[0] else None


def subject_dn(request, config: Settings) -> str | None:
    """The verified client certificate's subject DN, from API Gateway's request
    context or from the configured TLS-front header; None without one."""
    context = getattr(request, "context", None) or {}
    # REST APIs put it under identity; HTTP APIs (payload 2.0) under authentication.
    for holder in ("identity", "authentication"):
        certificate = (context.get(holder) or {}).get("clientCert") or {}
        if certificate.get("subjectDN"):
            return certificate["subjectDN"]
    if config.client_cert_header:
        return (request.headers or {}).get(config.client_cert_header)
    return None


def verified_cn(request, config: Settings) -> str | None:
    return common_name(subject_dn(request, config))


def may_submit(cn: str | None, config: Settings) -> bool:
    return cn is not None and (cn in config.cert_allowlist or cn in config.cert_submit_all)


def scopes_for(cn: str | None, config: Settings) -> frozenset[str]:
    """The scopes EVENTS_CERT_SCOPES gives the CN; empty when it names no such CN."""
    return dict(config.cert_scopes).get(cn, frozenset()) if cn is not None else frozenset()


def check_certname(cn: str, certname: object, config: Settings) -> None:
    """A certificate submits for its own certname only, unless it submits for all."""
    if cn in config.cert_submit_all or certname == cn:
        return
    raise ApiError(403, "puppetlabs.rbac/permission-denied",
                   f"The certificate '{cn}' may not submit reports for certname '{certname}'",
                   {"certificate": cn, "certname": certname})
