"""A merchant's webhook endpoint for tests: a real HTTP server on a loopback port that
records every request and answers as told (a status, or a delay past the timeout)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self.status = 200
        self.delay = 0.0

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    async def wait_for(
        self, condition: Callable[[list[Received]], bool], within: float = 15.0
    ) -> list[Received]:
        """The requests so far, once ``condition`` holds for them; fails after ``within`` seconds.
        Waits without blocking the event loop, where the app's worker delivers."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            received = self.received
            if condition(received):
                return received
            await asyncio.sleep(0.02)
        raise AssertionError(f"not received in {within} s; got {len(self.received)} requests")


class _ListeningServer(ThreadingHTTPServer):
    # A real endpoint's backlog: the standard library's 5 overflows when several workers
    # connect at once, and the kernel then resets connections the workers believed open.
    request_queue_size = 128
    daemon_threads = True


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            # The answer is decided as the request arrives: a test that changes it once it
            # has seen a request changes the answers to the next ones only.
            status, delay = receiver.status, receiver.delay
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            receiver.record(
                Received(
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
            )
            if delay:
                time.sleep(delay)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test asserts on what was received."""

    server = _ListeningServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
