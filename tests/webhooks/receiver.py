"""A real HTTP receiver on 127.0.0.1 for webhook tests: records every request, answers from a script."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int  # which connection it came on


@dataclass
class Receiver:
    port: int
    # Status codes to answer, in order; once used up, `default` for every further request.
    script: list[int] = field(default_factory=list)
    default: int = 200
    answer: bytes = b"ok"
    # Seconds to wait before answering the first `hold_first` requests (a slow receiver).
    hold_seconds: float = 0.0
    hold_first: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} requests, got {len(self.received)}")


@contextmanager
def receiver(port: int = 0, *, keep_alive: bool = False, **options: object) -> Iterator[Receiver]:
    """Serve on 127.0.0.1:`port` (0: a free one) in a thread until the block ends.

    HTTP/1.0 (a connection per request) unless `keep_alive`: then HTTP/1.1, connections kept open until the block
    ends, when they are closed (a client's pooled connection must not outlive its receiver).
    """
    state = Receiver(port=0, **options)  # type: ignore[arg-type]  # test helper: options are Receiver fields
    connections: list[socket.socket] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def setup(self) -> None:  # the name socketserver calls
            super().setup()
            with state.lock:
                connections.append(self.connection)

        def do_POST(self) -> None:  # the name http.server calls
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with state.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.received.append(Received(self.path, headers, body, self.client_address[1]))
                number = len(state.received)
                status = state.script[number - 1] if number <= len(state.script) else state.default
            if number <= state.hold_first:
                time.sleep(state.hold_seconds)
            self.send_response(status)
            self.send_header("content-length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, format: str, *args: object) -> None:  # the base class's name
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that hung up (a killed worker): nothing to report

    server = Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        with state.lock:
            for connection in connections:
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)
        thread.join(timeout=5)
