"""One HTTP attempt to a vetted target: connect to the checked address, send, read at most an excerpt back."""

from __future__ import annotations

import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import certifi
import httpx

from nuvera.webhooks.targets import Target

EXCERPT_BYTES = 1024
USER_AGENT = "Nuvera-Webhooks/1"
# One TLS context per process (loading the CA bundle costs milliseconds of CPU per client otherwise).
_TLS = ssl.create_default_context(cafile=certifi.where())
# Clients kept per process, least recently used first, each holding at most one idle keep-alive connection.
MAX_CLIENTS = 64
KEEPALIVE_SECONDS = 30.0


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str | None


def scrub(raw: bytes) -> str:
    """The answer as text for our pages: control characters (terminal escapes, NUL) dropped, newlines kept."""
    text = raw.decode("utf-8", errors="replace")
    return "".join(char for char in text if char in "\n\t" or (ord(char) >= 0x20 and not 0x7F <= ord(char) < 0xA0))


def _netloc(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


class _Clients:
    """One HTTP client per (scheme, host name, port, checked address): consecutive deliveries to one endpoint reuse
    its connection (no TCP and TLS handshake per event, for the receiver as much as for us).

    Why the key holds the host name and the address: an httpx pool keys its connections by the URL's origin, which
    here is the pinned address. Two hosts on one address (two partners behind one load balancer) must never share
    a connection made with the other's server name (TLS SNI and certificate), so each host gets its own client; and
    when a name resolves elsewhere, the new address gets a new client, so a connection always goes to the address
    checked for this attempt.
    """

    def __init__(self) -> None:
        self._clients: OrderedDict[tuple[str, str, int, str], httpx.Client] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, target: Target) -> httpx.Client:
        key = (target.scheme, target.host, target.port, target.address)
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                self._clients.move_to_end(key)
                return client
            # trust_env=False: no proxy from the environment may receive (or redirect) partner-bound traffic.
            client = httpx.Client(
                follow_redirects=False,
                trust_env=False,
                verify=_TLS,
                limits=httpx.Limits(max_keepalive_connections=1, keepalive_expiry=KEEPALIVE_SECONDS),
            )
            self._clients[key] = client
            while len(self._clients) > MAX_CLIENTS:
                _, evicted = self._clients.popitem(last=False)
                evicted.close()
            return client


_CLIENTS = _Clients()


def send(target: Target, headers: dict[str, str], body: bytes, *, timeout: float) -> Outcome:
    """POST `body` to the target's checked address (never resolving its name again), following no redirect.

    Host header and TLS server name are the URL's host, so virtual hosting and certificate checks work as if the
    name had been resolved by the client; only the address is pinned.
    """
    address = f"[{target.address}]" if ":" in target.address else target.address
    url = f"{target.scheme}://{address}:{target.port}{target.path}"
    request_headers = {
        **headers,
        "host": _netloc(target),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    client = _CLIENTS.get(target)
    started = time.monotonic()
    try:
        request = client.build_request(
            "POST", url, headers=request_headers, content=body, extensions=extensions, timeout=timeout
        )
        response = client.send(request, stream=True)
        try:
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
            status = response.status_code
        finally:
            response.close()
    except httpx.TimeoutException:
        return Outcome(False, None, _ms(started), "", f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return Outcome(False, None, _ms(started), "", f"connection failed: {type(exc).__name__}")
    return Outcome(200 <= status < 300, status, _ms(started), scrub(excerpt[:EXCERPT_BYTES]), None)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
