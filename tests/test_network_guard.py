"""The no-network guard (tests/network_guard.py) refuses non-loopback hosts and lets loopback ones through."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.network_guard import GUARD, NetworkBlocked, is_local

# TEST-NET-1 (RFC 5737) and the IPv6 documentation prefix (RFC 3849): reserved, never routed; the guard refuses them
# before any packet is sent.
TEST_NET = "192.0.2.1"
TEST_NET_V6 = "2001:db8::1"


@pytest.fixture
def refused() -> Iterator[list[str]]:
    """The attempts the test provoked on purpose, taken off the guard so that its teardown check stays green."""
    attempts: list[str] = []
    yield attempts
    attempts.extend(GUARD.take_attempts())
    assert attempts, "the guard recorded no attempt"


def test_a_connection_to_a_non_loopback_address_is_refused(refused: list[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked, match=TEST_NET):
        sock.connect((TEST_NET, 443))
    with pytest.raises(NetworkBlocked):  # socket.create_connection resolves first: the lookup is refused
        socket.create_connection((TEST_NET, 80), timeout=0.1)
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect_ex((TEST_NET_V6, 443, 0, 0))
    refused.extend(GUARD.take_attempts())
    assert len(refused) == 3


def test_an_http_client_cannot_reach_a_public_host(refused: list[str]) -> None:
    # The name is never resolved: the lookup itself is refused.
    with pytest.raises(httpx.ConnectError, match="tests may not reach the network"):
        httpx.get("https://example.com/", timeout=1)
    refused.extend(GUARD.take_attempts())
    assert refused == ["name lookup of 'example.com'"]


def test_a_swallowed_attempt_is_still_recorded_for_the_teardown_check(refused: list[str]) -> None:
    # What a retrying client does: swallow the error.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, contextlib.suppress(OSError):
        sock.connect((TEST_NET, 80))
    refused.extend(GUARD.take_attempts())
    assert refused == [f"connection to {(TEST_NET, 80)!r}"]


def test_loopback_connections_pass() -> None:
    class Echo(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.sendall(self.request.recv(16))

    with socketserver.TCPServer(("127.0.0.1", 0), Echo) as server:
        thread = threading.Thread(target=server.handle_request, daemon=True)
        thread.start()
        with socket.create_connection(("localhost", server.server_address[1]), timeout=5) as sock:
            sock.sendall(b"ping")
            assert sock.recv(16) == b"ping"
        thread.join(5)
    assert GUARD.take_attempts() == []


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.5.6.7", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        (None, True),
        (b"127.0.0.1", True),
        ("0.0.0.0", True),  # noqa: S104 (a bind address, looked up by servers; not a host on the network)
        ("::", True),
        ("", True),
        ("10.0.0.1", False),
        ("192.0.2.1", False),
        ("2001:db8::1", False),
        ("example.com", False),
        ("localhost.example.com", False),
        (12345, False),
    ],
)
def test_what_counts_as_this_machine(host: object, local: bool) -> None:
    assert is_local(host) is local
