"""One delivery attempt over HTTP (delivery.send loads this on its first attempt):
redirects are never followed, and the connection goes to the address urls.py vetted.

A redirect could lead past the URL check to a private address. The address pin closes
DNS rebinding: a name that answers a public address to the check and a private one to
a second lookup gets no second lookup (docs/subscriptions.md, "Receivers").
"""
from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead past the URL check (urls.py) to a private address.
    def redirect_request(self, *args, **kwargs):
        return None


def _pinned(address: str, connection_class):
    """`connection_class` that connects to `address` instead of resolving the host again;
    the Host header, SNI and the certificate check still use the URL's host."""
    def build(host, **kwargs):
        connection = connection_class(host, **kwargs)
        create = connection._create_connection
        connection._create_connection = lambda target, *args, **more: create(
            (address, target[1]), *args, **more)
        return connection
    return build


class _PinnedMixin:
    """Connects to the address urls.check_at_send vetted (`request.pinned_address`),
    unless the request goes through a proxy (which resolves the host itself)."""

    def do_open(self, http_class, request, **kwargs):
        address = getattr(request, "pinned_address", None)
        if address is not None and request.host == urlsplit(request.full_url).netloc:
            http_class = _pinned(address, http_class)
        return super().do_open(http_class, request, **kwargs)


class _PinnedHTTP(_PinnedMixin, urllib.request.HTTPHandler):
    pass


class _PinnedHTTPS(_PinnedMixin, urllib.request.HTTPSHandler):
    pass


def build_opener() -> urllib.request.OpenerDirector:
    """The delivery opener: no redirects, connections pinned to the checked address.
    (Built once: on Python 3.13 the HTTPS handler reads the CA store when built.)"""
    return urllib.request.build_opener(_NoRedirects, _PinnedHTTP, _PinnedHTTPS)


OPENER = build_opener()


def post(url: str, body: bytes, headers: dict[str, str], address: str | None,
         timeout: float) -> str | None:
    """POST `body`; None when the receiver answered 2xx, else `HTTP <status>`.
    `address`: the vetted address to connect to (None: resolve the host as usual).
    Connection errors and timeouts are raised."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    request.pinned_address = address
    try:
        with OPENER.open(request, timeout=timeout) as response:
            response.read(1024)
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
