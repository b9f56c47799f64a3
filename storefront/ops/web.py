"""What happens around every request: its id, its count and latency, its access line, and no session for the
probes.

- ``RequestIds`` (WSGI middleware, outermost) takes the incoming ``X-Request-ID`` when it is a sane token,
  else makes one; it is in ``REQUEST_ID`` (so on every log line written while the request is served, see
  ``storefront.ops.logs``), in ``environ[ENVIRON_KEY]`` and in the response's ``X-Request-ID``.
- ``QUIET_PATHS`` (``/healthz``, ``/readyz``, ``/metrics``) get no session at all: ``QuietSessions`` neither
  reads nor writes the cookie for them, and they write no access line.
- Every response is counted in ``storefront.ops.metrics`` by the Flask endpoint that answered it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.wrappers import Response
from werkzeug.wsgi import ClosingIterator

from storefront.ops import metrics
from storefront.ops.logs import REQUEST_ID

access_logger = logging.getLogger("storefront.access")

HEADER = "X-Request-ID"
ENVIRON_KEY = "mostik.request_id"
STARTED_KEY = "mostik.started"
#: Letters, digits and ``.-_:``, up to 64 characters: what proxies and tracers send; anything else is replaced.
SANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
#: Methods counted by name; any other (a client may send anything) is ``other``, so labels stay few.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_id_from(incoming: str | None) -> str:
    """The incoming id when it is a sane token, else a new one."""
    if incoming and SANE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIds:
    """WSGI middleware: a request id for every request, in the log context and in the response header."""

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id
        environ[STARTED_KEY] = time.perf_counter()
        token = REQUEST_ID.set(request_id)

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(name, value) for name, value in headers if name.lower() != HEADER.lower()]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        def forget() -> None:
            try:
                REQUEST_ID.reset(token)
            except ValueError:  # closed in another context (a server that iterates elsewhere)
                REQUEST_ID.set(None)

        try:
            body = self.wsgi_app(environ, start_with_id)
        except BaseException:
            forget()
            raise
        return ClosingIterator(body, forget)


class QuietSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that the probes neither read nor set the cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path in QUIET_PATHS:
            return self.make_null_session(app)
        return super().open_session(app, request)


def _endpoint() -> str:
    return request.url_rule.endpoint if request.url_rule is not None else "unmatched"


def count_response(response: Response) -> Response:
    endpoint = _endpoint()
    method = request.method if request.method in METHODS else "other"
    metrics.HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    started = request.environ.get(STARTED_KEY)
    elapsed = time.perf_counter() - started if started is not None else None
    if elapsed is not None:
        metrics.HTTP_LATENCY.labels(endpoint).observe(elapsed)
    if request.path not in QUIET_PATHS:
        # The route, not the path: paths carry tokens (unsubscribe links, order access) that logs must not keep.
        access_logger.info(
            "%s %s %s %.1f ms",
            request.method,
            request.url_rule.rule if request.url_rule is not None else request.path,
            response.status_code,
            (elapsed or 0.0) * 1000,
            extra={"endpoint": endpoint, "status": response.status_code},
        )
    return response


def init_app(app: Flask) -> None:
    app.session_interface = QuietSessions()
    app.after_request(count_response)
    app.wsgi_app = RequestIds(app.wsgi_app)  # type: ignore[method-assign]
