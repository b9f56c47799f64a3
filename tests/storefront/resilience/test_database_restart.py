"""PostgreSQL restarted while buyers check out: requests in flight may fail (503, «try again»), the next ones
succeed, and no order is half-written. Runs against a private cluster (tests/support/services.py), so the
restart disturbs no other test; in the PostgreSQL run of the suite only (it proves nothing about SQLite)."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import wsgi
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.order.models import Order, OrderLine
from storefront.shipping.models import ShippingMethod
from tests.support.database import make_test_config
from tests.support.factories import create_shop
from tests.support.services import private_postgres
from tests.support.web import add_to_cart, place

pytestmark = pytest.mark.postgres_only

STOCK = 10_000
BUYERS = 4
ROUNDS = 12


@pytest.fixture
def shop_on_private_postgres(tmp_path: Path, smtp_server) -> tuple[Flask, object]:
    _box, mail_port = smtp_server
    with private_postgres() as server:
        application = wsgi.create_app(
            make_test_config(
                server.url,
                tmp_path,
                MAIL_PORT=mail_port,
                MOSTIK_INSTANCE_PATH=str(tmp_path),
                # Every buyer here is one test client at one address: the anti-hoarding limits would stop them.
                CHECKOUT_LIMIT_PER_IP="1000 per minute",
                UNPAID_ORDERS_PER_CLIENT=0,
            )
        )
        with application.app_context():
            upgrade()
            with Session(db.engine) as session:
                create_shop(session, stock=STOCK)
                session.commit()
            db.session.remove()
        yield application, server
        with application.app_context():
            db.engine.dispose()


def _buyer(application: Flask, method_id: int, product_id: int, outcomes: list[tuple[int, int]], start, restarted):
    for round_number in range(ROUNDS):
        if round_number == ROUNDS // 3:
            start.wait()  # a third of the way in, everyone is mid-flow when the server goes down
        client = application.test_client()
        try:
            add_to_cart(client, product_id, 2)
            status = place(client, method_id).status_code
        except (AssertionError, AttributeError):  # a page before it was the 503 (no form to read)
            status = 503
        outcomes.append((restarted.is_set(), status))


def test_checkout_survives_a_postgres_restart(shop_on_private_postgres) -> None:
    application, server = shop_on_private_postgres
    with application.app_context(), Session(db.engine) as session:
        method_id = session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == "cdek-pickup")).one()
        product_id = session.scalars(select(Product.id)).one()
    start, restarted = threading.Barrier(BUYERS + 1), threading.Event()
    outcomes: list[list[tuple[int, int]]] = [[] for _ in range(BUYERS)]
    threads = [
        threading.Thread(target=_buyer, args=(application, method_id, product_id, outcomes[i], start, restarted))
        for i in range(BUYERS)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    server.restart()
    restarted.set()
    for thread in threads:
        thread.join(timeout=300)

    statuses = Counter(status for buyer in outcomes for _after, status in buyer)
    # Only «placed» (303) or «try again» (503): never a 500 page.
    assert set(statuses) <= {303, 503}, statuses
    # After the restart every buyer's last orders go through.
    for buyer in outcomes:
        assert [status for _after, status in buyer[-3:]] == [303, 303, 303], buyer

    with application.app_context(), Session(db.engine) as session:
        orders = session.scalars(select(Order)).all()
        assert len(orders) >= statuses[303]
        for order in orders:  # every order whole: its lines, its totals, its number
            assert order.number and order.lines, order.id
            assert sum(line.line_amount for line in order.lines) == order.subtotal_amount
        ordered = session.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0))) or 0
        stock = session.scalar(select(Product.stock))
        assert stock + ordered == STOCK  # nothing reserved without an order, no order without its reservation
        assert Decimal(ordered) == 2 * len(orders)


def test_while_the_database_is_down_pages_say_try_again_and_work_once_it_is_back(shop_on_private_postgres) -> None:
    application, server = shop_on_private_postgres
    client = application.test_client()
    product_page = "/search?q=" + "кроссовки"
    assert client.get(product_page).status_code == 200
    server.stop()
    try:
        down = client.get(product_page)
        assert down.status_code == 503
        assert down.headers["Retry-After"] == "5"
        assert "Магазин ненадолго недоступен" in down.get_data(as_text=True)
    finally:
        server.start()
    assert client.get(product_page).status_code == 200
