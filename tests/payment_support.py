"""Shared fixtures for payment tests: the YooKassa stand-in, an app wired to it and served on a
real HTTP server thread (so the stand-in's notifications reach it), and a quick order builder.

Import the fixtures into a test module: ``from tests.payment_support import pay_app, standin  # noqa: F401``.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

import wsgi
from devtools.yookassa_standin import StandIn
from storefront.db import utcnow
from storefront.extensions import db
from storefront.order.models import Order, OrderLine, OrderStatus
from storefront.order.services import make_access_token
from storefront.order.totals import compute_totals
from tests.conftest import make_test_config

#: Seconds every gateway call may take in tests (the hung stand-in test relies on it).
DEADLINE = 1.5


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn(require_receipt=True, webhook_retry_delays=(0.2, 0.5, 1.0)) as server:
        yield server


@pytest.fixture(scope="module")
def pay_app(
    app: Flask, database_url: str, standin: StandIn, smtp_server: tuple[object, int], tmp_path_factory
) -> Iterator[Flask]:
    """The shop with YooKassa credentials for the stand-in, served on 127.0.0.1 (shared database)."""
    config = make_test_config(
        database_url,
        Path(tmp_path_factory.mktemp("pay-instance")),
        YOOKASSA_SHOP_ID=standin.shop_id,
        YOOKASSA_SECRET_KEY=standin.secret_key,
        YOOKASSA_API_URL=standin.api_url,
        YOOKASSA_TIMEOUT_SECONDS=DEADLINE,
        YOOKASSA_NOTIFICATION_NETWORKS="127.0.0.1,::1",
        MAIL_PORT=smtp_server[1],
    )
    application = wsgi.create_app(config)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="pay-live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    application.config["PUBLIC_BASE_URL"] = base_url
    application.config["LIVE_URL"] = base_url
    standin.notify_url = f"{base_url}/payments/yookassa/notifications"
    yield application
    server.shutdown()
    thread.join(timeout=5)
    application.extensions["payment_gateway"].close()
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_standin(request: pytest.FixtureRequest) -> Iterator[None]:
    if "standin" not in request.fixturenames:
        yield
        return
    standin: StandIn = request.getfixturevalue("standin")
    standin.reset()
    standin.auto_notify = True
    yield
    standin.wait_for_notifications(5)
    standin.reset()


def make_order(
    session: Session,
    lines: Sequence[tuple[str, int, Decimal]] = (("Кроссовки мужские беговые", 2, Decimal("1999.90")),),
    *,
    discount: Decimal = Decimal("0.00"),
    shipping: Decimal = Decimal("450.00"),
    email: str = "anna@example.ru",
) -> Order:
    """An order awaiting payment, built directly (the checkout is tested elsewhere)."""
    amounts = [price * quantity for _title, quantity, price in lines]
    totals = compute_totals(amounts, promo_fixed=discount, shipping=shipping)
    now = utcnow()
    order = Order(
        placement_token=secrets.token_hex(16),
        status=OrderStatus.AWAITING_PAYMENT,
        email=email,
        phone="+79161234567",
        contact_name="Анна Смирнова",
        region_code="78",
        city="Санкт-Петербург",
        postcode="191186",
        street="Невский пр., д. 1",
        recipient="Анна Смирнова",
        recipient_phone="+79161234567",
        shipping_method_name="СДЭК до пункта выдачи",
        shipping_min_days=8,
        shipping_max_days=12,
        subtotal_amount=totals.subtotal,
        tier_discount_amount=totals.tier_discount,
        promo_discount_amount=totals.promo_discount,
        shipping_amount=totals.shipping,
        total_amount=totals.total,
        vat_amount=totals.vat,
        expires_at=now + timedelta(hours=24),
        lines=[
            OrderLine(
                sku=f"SKU-{index}",
                title=title,
                quantity=quantity,
                unit_price=price,
                line_amount=price * quantity,
                commission_bp=1000,
            )
            for index, (title, quantity, price) in enumerate(lines)
        ],
    )
    session.add(order)
    session.flush()
    order.number = f"MK-{now.year}-{order.id:06d}"
    session.commit()
    return order


def guest_token(pay_app: Flask, order: Order) -> str:
    return make_access_token(order, pay_app.config["SECRET_KEY"])
