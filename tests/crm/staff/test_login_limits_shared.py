"""Sign-in limits count per client behind our proxy, and are shared by every worker through Redis."""

from __future__ import annotations

import secrets

import pytest
import redis
from flask import Flask

import wsgi
from storefront.extensions import db
from tests.support.database import make_test_config
from tests.support.web import crm_csrf

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _worker(app: Flask, tmp_path, prefix: str) -> Flask:
    """Another app process on the same database and Redis, as a second gunicorn worker would be."""
    config = make_test_config(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        REDIS_URL=REDIS_URL,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,  # other test runs may share this Redis
        LOGIN_LIMIT_PER_IP="3 per minute",
        LOGIN_LIMIT_PER_ACCOUNT="100 per minute",
        TRUSTED_PROXIES="10.0.0.0/8",
    )
    return wsgi.create_app(config)


def _fail_login(app: Flask, client_ip: str) -> int:
    with app.test_client() as client:
        proxy = {"REMOTE_ADDR": "10.0.0.2"}
        client.environ_base.update(proxy)
        token = crm_csrf(client)
        answer = client.post(
            "/crm/login",
            data={"csrf_token": token, "email": f"{secrets.token_hex(3)}@mostik.local", "password": "wrong"},
            headers={"X-Forwarded-For": client_ip},
        )
        return answer.status_code


@pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis reachable at {REDIS_URL}")
def test_two_workers_share_the_limit_and_other_clients_behind_the_proxy_are_not_locked_out(app, tmp_path) -> None:
    prefix = f"mostik-test-{secrets.token_hex(4)}"
    first, second = _worker(app, tmp_path, prefix), _worker(app, tmp_path, prefix)
    try:
        statuses = [_fail_login(worker, "203.0.113.9") for worker in (first, second, first, second)]
        assert 429 not in statuses[:3]
        assert statuses[3] == 429  # the fourth try, whichever worker gets it
        assert _fail_login(second, "198.51.100.4") != 429  # someone else behind the same proxy still may try
    finally:
        for worker in (first, second):
            with worker.app_context():
                db.engine.dispose()  # their pooled connections, closed now rather than by the garbage collector
