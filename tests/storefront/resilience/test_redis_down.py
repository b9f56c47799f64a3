"""Redis stopped while the shop runs (a real app process on a private Redis): buyers still browse, fill carts and
place orders; sign-in limits fall back to per-process memory (the documented degradation) instead of failing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_shop
from tests.support.network import free_port
from tests.support.services import private_redis
from tests.support.web import add_to_cart, csrf_token, place

ROOT = Path(__file__).resolve().parents[3]


class HttpClient:
    """Just enough of Flask's test client, over real HTTP, for the helpers in tests/support/web.py."""

    def __init__(self, base: str) -> None:
        self.base, self.http = base, requests.Session()

    def get(self, path: str) -> requests.Response:
        return self._adapt(self.http.get(self.base + path, allow_redirects=False, timeout=30))

    def post(self, path: str, data: dict[str, object]) -> requests.Response:
        return self._adapt(self.http.post(self.base + path, data=data, allow_redirects=False, timeout=30))

    @staticmethod
    def _adapt(response: requests.Response) -> requests.Response:
        response.get_data = lambda as_text=True: response.text  # type: ignore[attr-defined]
        return response


@pytest.fixture
def shop_on_private_redis(app, session: Session, tmp_path: Path, smtp_server):
    product = create_shop(session, stock=100)
    session.commit()
    method_id = session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == "cdek-pickup")).one()
    _box, mail_port = smtp_server
    with private_redis(tmp_path) as redis_server:
        port = free_port()
        env = {
            **os.environ,
            "MOSTIK_ENV": "testing",
            "MOSTIK_INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret-key",
            "REDIS_URL": redis_server.url,
            "MAIL_PORT": str(mail_port),
            "LOGIN_LIMIT_PER_IP": "3 per minute",
            "LOGIN_LIMIT_PER_ACCOUNT": "100 per minute",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(base + "/", timeout=2)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline and server.poll() is None, "the app did not start"
                    time.sleep(0.2)
            yield base, redis_server, product.id, method_id
        finally:
            server.terminate()
            _out, errors = server.communicate(timeout=30)
            assert b"Traceback" not in errors, errors.decode()[-3000:]


def _failed_logins(base: str, times: int) -> list[int]:
    statuses = []
    for _ in range(times):
        client = HttpClient(base)
        token = csrf_token(client, "/account/login")
        answer = client.post("/account/login", data={"csrf_token": token, "email": "x@example.ru", "password": "no"})
        statuses.append(answer.status_code)
    return statuses


def test_the_shop_keeps_selling_when_redis_stops(shop_on_private_redis) -> None:
    base, redis_server, product_id, method_id = shop_on_private_redis
    assert _failed_logins(base, 4) == [400, 400, 400, 429]  # the limit lives in Redis while it is up
    redis_server.stop()

    buyer = HttpClient(base)
    assert buyer.get("/search?q=кроссовки").status_code == 200
    assert add_to_cart(buyer, product_id, 2).status_code in (302, 303)
    placed = place(buyer, method_id)
    assert placed.status_code == 303 and "/orders/" in placed.headers["Location"]

    # Limits now count in the process's memory: still enforced, never an error page.
    statuses = _failed_logins(base, 4)
    assert statuses[:3] == [400, 400, 400] and statuses[3] == 429, statuses  # 400: «wrong e-mail or password»
