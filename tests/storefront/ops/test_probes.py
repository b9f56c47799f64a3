"""/healthz, /readyz and /metrics: what they answer, who may read metrics, and that they stay out of sessions."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

import wsgi
from storefront.account.models import Buyer
from storefront.extensions import db
from storefront.ops import metrics
from storefront.outbox import add_message
from tests.support import factories
from tests.support.database import make_test_config
from tests.support.metrics import sample

REDIS_URL = "redis://127.0.0.1:6379/11"


def _closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def other_app(app: Flask, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build another app on the test database with some settings changed; its connections closed afterwards."""
    built: list[Flask] = []

    def build(**settings: object) -> Flask:
        application = wsgi.create_app(make_test_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, **settings))
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.engine.dispose()
        client = application.extensions.get("ops.redis")
        if client is not None:
            client.close()


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_use_no_session_and_answer_quickly_readable_bodies(client, path: str) -> None:
    client.set_cookie("session", "not-even-a-valid-signature")
    answer = client.get(path)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")  # the session was never opened
    assert answer.headers["Cache-Control"] == "no-store"


def test_an_ordinary_page_still_has_its_session(client) -> None:
    client.get("/?utm_source=yandex")
    assert "Cookie" in client.get("/account/login").headers.get("Vary", "")


def test_healthz_and_readyz_with_the_database_up(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_is_503_naming_redis_when_redis_is_configured_but_unreachable(other_app) -> None:
    application = other_app(REDIS_URL=f"redis://127.0.0.1:{_closed_loopback_port()}/0")
    answer = application.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unreachable"},
        "failed": ["redis"],
    }
    assert application.test_client().get("/healthz").status_code == 200  # the process itself is fine


@pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis reachable at {REDIS_URL}")
def test_readyz_checks_a_reachable_redis(other_app) -> None:
    answer = other_app(REDIS_URL=REDIS_URL).test_client().get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_naming_the_database_when_it_is_unreachable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "mostik.db"
    broken = wsgi.create_app(make_test_config(f"sqlite:///{missing}", tmp_path))
    try:
        answer = broken.test_client().get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json()["failed"] == ["database"]
    finally:
        with broken.app_context():
            db.engine.dispose()


def test_metrics_are_served_to_loopback_in_the_prometheus_format(client) -> None:
    before = sample("mostik_http_requests_total", endpoint="ops.healthz", method="GET", status="200")
    client.get("/healthz")
    client.get("/no/such/page")
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=")
    text = answer.get_data(as_text=True)
    assert "# TYPE mostik_http_request_duration_seconds histogram" in text
    assert 'mostik_http_requests_total{endpoint="unmatched",method="GET",status="404"}' in text
    assert sample("mostik_http_requests_total", endpoint="ops.healthz", method="GET", status="200") == before + 1


def test_made_up_methods_are_counted_as_other(client) -> None:
    before = sample("mostik_http_requests_total", endpoint="unmatched", method="other", status="405")
    assert client.open("/healthz", method="BREW1").status_code == 405
    assert client.open("/healthz", method="BREW2").status_code == 405
    assert sample("mostik_http_requests_total", endpoint="unmatched", method="other", status="405") == before + 2
    assert 'method="BREW1"' not in client.get("/metrics").get_data(as_text=True)


def test_requests_are_counted_by_endpoint_not_by_path(client, session) -> None:
    product = factories.create_shop(session)
    session.commit()
    labels = {"endpoint": "catalog.product_detail", "method": "GET", "status": "200"}
    before = sample("mostik_http_requests_total", **labels)
    assert client.get(f"/product/{product.id}-{product.slug}").status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert sample("mostik_http_requests_total", **labels) == before + 1
    assert "/product/" not in text and product.slug not in text


def test_metrics_are_refused_to_other_addresses(client) -> None:
    answer = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert answer.status_code == 403
    assert "mostik_" not in answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers


def test_the_allow_list_admits_a_monitoring_network(other_app) -> None:
    application = other_app(METRICS_ALLOWED_NETWORKS="10.20.0.0/16, 192.0.2.7")
    for address, status in (("10.20.3.4", 200), ("192.0.2.7", 200), ("192.0.2.8", 403), ("10.21.0.1", 403)):
        answer = application.test_client().get("/metrics", environ_base={"REMOTE_ADDR": address})
        assert answer.status_code == status, address


def test_a_client_behind_our_loopback_proxy_is_not_loopback(other_app) -> None:
    """The proxy on 127.0.0.1 forwards the internet: the address that counts is the client's, not the proxy's."""
    application = other_app(TRUSTED_PROXIES="127.0.0.1")
    outside = application.test_client().get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert outside.status_code == 403
    assert application.test_client().get("/metrics").status_code == 200  # Prometheus on this machine, no proxy


def test_a_bad_allow_list_stops_the_start(app: Flask, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not-a-network"):
        wsgi.create_app(
            make_test_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, METRICS_ALLOWED_NETWORKS="not-a-network")
        )


def test_a_registered_gauge_is_read_at_each_scrape_and_a_failing_one_is_left_out(client, session) -> None:
    def buyers() -> float:
        return db.session.scalar(select(func.count(Buyer.id))) or 0

    def broken() -> float:
        raise RuntimeError("outbox table missing")

    metrics.register_gauge("mostik_test_buyers", "buyers in the database", buyers)
    metrics.register_gauge("mostik_test_broken", "always fails", broken)
    try:
        assert "mostik_test_buyers 0.0" in client.get("/metrics").get_data(as_text=True)
        factories.create_buyer(session)
        session.commit()
        text = client.get("/metrics").get_data(as_text=True)
        assert "mostik_test_buyers 1.0" in text
        assert "mostik_test_broken" not in text
    finally:
        metrics.unregister_gauge("mostik_test_buyers")
        metrics.unregister_gauge("mostik_test_broken")


def test_the_outbox_depth_is_exported(client, session) -> None:
    add_message(session, "order_placed", "anna@example.ru", "Заказ оформлен", "Спасибо", None)
    session.commit()
    assert "mostik_outbox_depth 1.0" in client.get("/metrics").get_data(as_text=True)


def test_a_gauge_name_must_be_a_prometheus_name() -> None:
    with pytest.raises(ValueError):
        metrics.register_gauge("outbox depth", "spaces are not allowed", lambda: 0)
