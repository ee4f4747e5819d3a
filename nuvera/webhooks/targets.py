"""SSRF guard: where a webhook may be sent. A pure check of a URL and of the addresses its host resolves to.

Why at delivery time too, not only at creation: a partner controls the DNS of their URL. A name that resolved to a
public address when the endpoint was created can later resolve to 127.0.0.1 or 169.254.169.254 (the cloud metadata
service, whose answers include credentials). So every attempt resolves the host, checks every address it gets, and
then connects to one of the checked addresses itself (never resolving again), so a second lookup cannot swap in
another address between the check and the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from nuvera.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

MAX_URL_LENGTH = 2048

# Addresses that reach the platform's own network rather than the partner's server. `ipaddress`'s is_private and
# friends cover most; listed here are the ones it does not flag or that we want named for the reader.
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598): is_private is False for it
        "169.254.0.0/16",  # link-local, includes 169.254.169.254 (AWS, GCP, Azure, OpenStack metadata)
        "192.0.0.0/24",  # IETF protocol assignments (includes 192.0.0.192, Oracle Cloud metadata)
        "198.18.0.0/15",  # benchmarking
        "fd00:ec2::254/128",  # AWS metadata over IPv6 (also inside fc00::/7)
        "64:ff9b::/96",  # NAT64: could map to any IPv4 address, including the ones above
        "64:ff9b:1::/48",
    )
)


@dataclass(frozen=True)
class Refused:
    """Why a target is refused; `message` is shown to the partner and never includes resolved addresses."""

    code: str  # "webhook_url_invalid" or "webhook_target_forbidden"
    message: str


@dataclass(frozen=True)
class Target:
    """A checked target: connect to `address` (already vetted), send Host/SNI `host`."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # path and query, as given


def _blocked(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _blocked(address.ipv4_mapped)  # ::ffff:127.0.0.1 is 127.0.0.1
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    ):
        return True
    return any(address in network for network in _BLOCKED_NETWORKS)


def _allowed_by_operator(host: str, address: IPAddress, settings: Settings) -> bool:
    for entry in settings.webhook_allowed_targets:
        entry = entry.strip()
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if entry.lower().rstrip(".") == host:
                return True
            continue
        if address in network:
            return True
    return False


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse(url: str, settings: Settings) -> tuple[str, str, int, str] | Refused:
    """Scheme, host, port and path of an acceptable URL, or why not (no DNS lookup)."""
    if len(url) > MAX_URL_LENGTH:
        return Refused("webhook_url_invalid", f"the URL may have at most {MAX_URL_LENGTH} characters")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        return Refused("webhook_url_invalid", "the URL may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return Refused("webhook_url_invalid", "not a valid URL")
    scheme = parts.scheme.lower()
    http_allowed = settings.webhook_allow_http or settings.env != "production"
    if scheme != "https" and not (scheme == "http" and http_allowed):
        return Refused("webhook_url_invalid", "the URL must start with https://")
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would be stored and shown in clear; use the signature to authenticate us.
        return Refused("webhook_url_invalid", "the URL may not contain a user name or password")
    if parts.fragment:
        return Refused("webhook_url_invalid", "the URL may not contain a #fragment")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return Refused("webhook_url_invalid", "the URL has no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def check(url: str, settings: Settings, resolver: Resolver = system_resolver) -> Target | Refused:
    """Parse, resolve and vet a webhook URL: every resolved address must be public (or operator-allowed)."""
    parsed = parse(url, settings)
    if isinstance(parsed, Refused):
        return parsed
    scheme, host, port, path = parsed
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: Sequence[str] = [str(literal)]
    else:
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError):
            return Refused("webhook_target_unresolvable", f"the host {host!r} does not resolve")
        if not addresses:
            return Refused("webhook_target_unresolvable", f"the host {host!r} does not resolve")
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        # Every address, not only the first: a client (or we, on a retry) may use any of them.
        if _blocked(address) and not _allowed_by_operator(host, address, settings):
            return Refused(
                "webhook_target_forbidden",
                "the URL points to a private, loopback, link-local or otherwise internal address; webhooks go to "
                "public addresses only",
            )
    return Target(scheme=scheme, host=host, port=port, address=addresses[0].split("%", 1)[0], path=path)
