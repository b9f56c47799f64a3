"""``/healthz`` (the process answers), ``/readyz`` (the database and, when configured, Redis answer) and
``/metrics`` (Prometheus, from loopback or ``METRICS_ALLOWED_NETWORKS`` only).

They are for load balancers, orchestrators and Prometheus, not people: plain JSON or text, no session, no CSRF,
no rate limit, no template, no translation (``storefront.ops.web.QUIET_PATHS``).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Blueprint, Flask, current_app, jsonify, request
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text
from werkzeug.wrappers import Response

from storefront.extensions import csrf, db, limiter
from storefront.ops import metrics
from storefront.proxies import IPNetwork, address_of, parse_networks, within

logger = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)

#: Seconds a readiness check waits for Redis; the probe must answer before the balancer gives up.
REDIS_TIMEOUT_SECONDS = 2.0
#: Always allowed to read /metrics: the machine itself.
LOOPBACK = parse_networks("127.0.0.0/8,::1")
NO_STORE = {"Cache-Control": "no-store"}
REDIS_EXTENSION = "ops.redis"
METRICS_NETWORKS_EXTENSION = "ops.metrics_networks"


def _answer(body: dict[str, Any], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(NO_STORE)
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and serving; nothing else is asked (a restart would not cure a database outage)."""
    return _answer({"status": "ok"}, 200)


def _database_ok() -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as error:
        logger.warning("readiness: database unreachable: %s", type(error).__name__)
        return False


def _redis_ok(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except Exception as error:
        logger.warning("readiness: redis unreachable: %s", type(error).__name__)
        return False


@bp.get("/readyz")
def readyz() -> Response:
    """200 when the database (and Redis, when ``REDIS_URL`` is set) answers; 503 naming what failed."""
    checks = {"database": _database_ok()}
    client: redis.Redis | None = current_app.extensions.get(REDIS_EXTENSION)
    if client is not None:
        checks["redis"] = _redis_ok(client)
    failed = [name for name, ok in checks.items() if not ok]
    body: dict[str, Any] = {
        "status": "unavailable" if failed else "ok",
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    if failed:
        body["failed"] = failed
    return _answer(body, 503 if failed else 200)


def metrics_allowed(remote_addr: str | None, allowed: tuple[IPNetwork, ...]) -> bool:
    """Loopback or an allowed network; the address is the client behind our proxies (``storefront.proxies``)."""
    address = address_of(remote_addr)
    return address is not None and within(address, LOOPBACK + allowed)


@bp.get("/metrics")
def metrics_view() -> Response:
    if not metrics_allowed(request.remote_addr, current_app.extensions[METRICS_NETWORKS_EXTENSION]):
        return Response("forbidden\n", 403, mimetype="text/plain", headers=NO_STORE)
    body = metrics.exposition(current_app.config["PROMETHEUS_MULTIPROC_DIR"])
    return Response(body, 200, content_type=metrics.CONTENT_TYPE, headers=NO_STORE)


def init_app(app: Flask) -> None:
    app.extensions[METRICS_NETWORKS_EXTENSION] = parse_networks(app.config["METRICS_ALLOWED_NETWORKS"])
    if app.config["REDIS_URL"]:
        app.extensions[REDIS_EXTENSION] = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),  # one try: the probe's answer is bounded by the timeout, not 4× it
        )
    for view in (healthz, readyz, metrics_view):
        csrf.exempt(view)
        limiter.exempt(view)
    app.register_blueprint(bp)
