"""The finance staff member's client and a confirmed, partly refunded two-supplier order, for the CRM's finance
tests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from crm.staff.models import Role
from storefront.payment.refunds import refund_order
from tests.storefront.settlement.helpers import confirm, deliver, pay, supplied_order, suppliers
from tests.support.factories import make_staff
from tests.support.web import crm_login


@pytest.fixture
def finance(session: Session, pay_app: Flask) -> FlaskClient:
    make_staff(session, Role.FINANCE)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, "finance@mostik.local").status_code == 302
    return client


@pytest.fixture
def confirmed(session: Session, pay_app: Flask, standin, control):
    """Two suppliers; an order paid, delivered, confirmed by the buyer, then 100 ₽ of it refunded."""
    standin.auto_notify = False
    gateway = pay_app.extensions["payment_gateway"]
    first, second = suppliers(session)
    order = pay(session, gateway, control, pay_app.config["PUBLIC_BASE_URL"], supplied_order(session, first, second))
    deliver(session, order)
    confirm(session, order)
    refund_order(session, gateway, order, Decimal("100.00"))
    session.expire_all()
    return order, first, second
