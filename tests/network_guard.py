"""Tests cannot reach the network: a connection to anything but this machine's loopback fails the test.

Installed for the whole run by tests/conftest.py (`pytest_configure`), checked after every test. Python-level
sockets are guarded: `socket.socket.connect`/`connect_ex` (which `socket.create_connection`, asyncio, httpx,
redis-py and boto3 all go through) and name resolution (`socket.getaddrinfo`, so a test cannot even look a public
host up). An attempt raises `NetworkBlocked` at the call *and* is recorded, so that code which swallows connection
errors (retries, webhook deliveries, health checks) still fails its test at teardown.

Out of scope, deliberately: subprocesses a test starts (a server, openssl, Node.js) run without this patch, and
C libraries that open their own sockets (libpq for PostgreSQL, uvloop's transports) bypass Python's `socket`;
those connect only where the test's own configuration points them (the loopback services of
`scripts/services.sh`).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class NetworkBlocked(OSError):
    """A test tried to reach a host other than this machine (an OSError, as a real connection failure is)."""


def is_local(host: object) -> bool:
    """Whether `host` (an address family's host part, or a name) is this machine: a loopback address or name."""
    if host is None or host in ("", b""):
        return True  # getaddrinfo(None or "", port): the address a listening socket binds to
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].rstrip(".").lower()
    if name in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    # 0.0.0.0 and :: are what a server binds to (and, connected to, this machine on Linux): never the network.
    return bool(address.is_loopback or address.is_unspecified or (mapped is not None and mapped.is_loopback))


class Guard:
    """The patches and the attempts they recorded since the last `take_attempts()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: list[str] = []
        self._originals: dict[str, Any] = {}

    def install(self) -> None:
        if self._originals:
            return
        self._originals = {
            "connect": socket.socket.connect,
            "connect_ex": socket.socket.connect_ex,
            "getaddrinfo": socket.getaddrinfo,
        }
        connect, connect_ex, getaddrinfo = (self._originals[k] for k in ("connect", "connect_ex", "getaddrinfo"))
        guard = self

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            guard.check_address(sock, address)
            connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            guard.check_address(sock, address)
            result: int = connect_ex(sock, address)
            return result

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if not is_local(host):
                guard.refuse(f"name lookup of {host!r}")
            return getaddrinfo(host, *args, **kwargs)

        # The stubs type these methods on _socket.socket; the replacements take the socket module's subclass.
        socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
        socket.getaddrinfo = guarded_getaddrinfo

    def uninstall(self) -> None:
        if not self._originals:
            return
        socket.socket.connect = self._originals["connect"]  # type: ignore[method-assign]
        socket.socket.connect_ex = self._originals["connect_ex"]  # type: ignore[method-assign]
        socket.getaddrinfo = self._originals["getaddrinfo"]
        self._originals = {}

    def check_address(self, sock: socket.socket, address: Any) -> None:
        if sock.family == socket.AF_UNIX:
            return  # a file on this machine
        host = address[0] if isinstance(address, tuple) and address else address
        if not is_local(host):
            self.refuse(f"connection to {address!r}")

    def refuse(self, what: str) -> None:
        with self._lock:
            self._attempts.append(what)
        raise NetworkBlocked(f"tests may not reach the network: {what} (only 127.0.0.1, ::1 and localhost)")

    def take_attempts(self) -> list[str]:
        with self._lock:
            attempts, self._attempts = self._attempts, []
        return attempts


GUARD = Guard()
