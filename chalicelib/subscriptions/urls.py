"""Which receiver URLs a subscription may name (issue 17, "Safety").

The cloud stage accepts only `https` URLs whose host resolves to public addresses:
loopback, link-local (169.254/16, where cloud metadata lives, and fe80::/10),
private (10/8, 172.16/12, 192.168/16, fc00::/7), carrier-grade NAT, unspecified,
multicast and reserved addresses are refused, as are the metadata names, so a
subscription cannot make the service call into its own network (SSRF).
EVENTS_SUBSCRIPTION_ALLOW_PRIVATE=true lifts the address rule (a receiver inside a VPC).
The `local` stage accepts `http` and any address, so `make run` can deliver to a
receiver on the same machine.

The address rule is checked when the subscription is made and again before every
attempt (DNS can change), and the attempt connects to the address that was checked
(delivery.py pins it; TLS still verifies the certificate for the URL's host), so a
name that resolves to a public address for the check and to a private one a moment
later (DNS rebinding) cannot lead the request inside. Redirects are never followed.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import validation_error

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data",
                            "instance-data.ec2.internal"})
MAX_URL_LENGTH = 2048


class UnsafeUrl(ValueError):
    pass


def _local(config: Settings) -> bool:
    return config.stage == "local"


def check(url: object, config: Settings) -> str:
    """The URL, or a 400 validation-error saying why it is refused."""
    if not isinstance(url, str) or not url:
        raise validation_error("url must be a non-empty string")
    try:
        return _check(url, config)
    except UnsafeUrl as error:
        raise validation_error(f"url refused: {error}", url=url) from None


def check_at_send(url: str, config: Settings) -> str | None:
    """The address the attempt must connect to, checked now; None where no address
    rule applies (the local stage, EVENTS_SUBSCRIPTION_ALLOW_PRIVATE). UnsafeUrl when
    the URL is refused."""
    return _check(url, config, pin=True)


def _check(url: str, config: Settings, pin: bool = False) -> str | None:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"longer than {MAX_URL_LENGTH} characters")
    # urlsplit silently drops tabs and line breaks, and http.client refuses them only
    # at send time: a URL holds no control character or space raw (RFC 3986).
    if any(c <= " " or c == "\x7f" for c in url):
        raise UnsafeUrl("it contains a space or a control character")
    try:
        parts = urlsplit(url)
    except ValueError as error:         # "Invalid IPv6 URL", a bracketed non-address
        raise UnsafeUrl(f"it is not a valid URL ({error})") from None
    allowed = ("http", "https") if _local(config) else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeUrl(f"the scheme must be {' or '.join(allowed)}")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeUrl("it needs a host and no user or password")
    try:
        parts.port
    except ValueError:
        raise UnsafeUrl("the port is not a number from 0 to 65535") from None
    if _local(config) or config.subscription_allow_private:
        return None if pin else url
    host = parts.hostname.rstrip(".").lower()
    if host in METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
        raise UnsafeUrl(f"{host} is a local or metadata name")
    addresses = _addresses(host)
    for address in addresses:
        if not address.is_global or address.is_multicast:
            raise UnsafeUrl(f"{host} resolves to {address}, which is not a public address")
    return str(addresses[0]) if pin else url


def _addresses(host: str) -> list:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [_unmapped(literal)]
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeUrl(f"{host} does not resolve ({error.strerror})") from None
    except UnicodeError:                # IDNA: an empty or 64+ character label
        raise UnsafeUrl(f"{host} is not a valid host name") from None
    return [_unmapped(ipaddress.ip_address(info[4][0].split("%")[0])) for info in found]


def _unmapped(address):
    # ::ffff:127.0.0.1 is 127.0.0.1.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address
