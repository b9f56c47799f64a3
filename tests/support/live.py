"""The app on a real HTTP server thread on 127.0.0.1, for what a browser or a stand-in's callbacks must reach."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def closed_bodies(app: WsgiApp) -> WsgiApp:
    """The app, each response body read whole and closed before the server writes it.

    Werkzeug's server closes a body only after draining the socket, and a client that resets the connection
    (a browser context closed while the favicon loads) makes that drain raise first. The static file then stays
    open until the garbage collector finds it, and its ResourceWarning fails whichever test is running."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@contextmanager
def served(app: WsgiApp, name: str) -> Iterator[str]:
    """Serve ``app`` on a free port in a thread called ``name``; yields its base URL, stops it after."""
    server = make_server("127.0.0.1", 0, closed_bodies(app), threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
