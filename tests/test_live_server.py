"""The tests' live servers close every response body before they write it, so a browser that resets the
connection (a context closed while the favicon loads) cannot leave a file open for the garbage collector."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

from tests.support.live import served


class Body:
    """A response body that records when it is closed, as a static file's wrapper would be."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield b"Mo"
        yield b"stik"

    def close(self) -> None:
        self.closed.set()


def test_a_body_is_closed_before_the_client_reads_it_and_a_reset_leaves_nothing_open():
    body = Body()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
        return body

    with served(app, "body-test") as base_url:
        with socket.create_connection(("127.0.0.1", int(base_url.rsplit(":", 1)[1])), timeout=5) as client:
            client.sendall(b"GET /favicon.svg HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            received = b""
            while not received.endswith(b"Mostik"):
                received += client.recv(1024)
            # Werkzeug alone closes the body only after it has drained the socket (10 ms at least), and not at all
            # when the client's reset interrupts the drain.
            assert body.closed.is_set()
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        assert received.startswith(b"HTTP/1.1 200")
