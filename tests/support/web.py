"""Driving the shop and the CRM through the test client like a browser (CSRF tokens, sign-in, checkout)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from storefront.order.models import Order
from storefront.order.services import make_access_token
from tests.support.factories import PASSWORD, make_staff

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKEN_RE = re.compile(r'name="placement_token"[^>]*value="([^"]+)"')
FINGERPRINT_RE = re.compile(r'name="cart_fingerprint"[^>]*value="([^"]*)"')


def csrf_token(client: FlaskClient, path: str = "/account/password-reset") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def add_to_cart(client: FlaskClient, product_id: int, quantity: object):
    return client.post(
        "/cart/add", data={"csrf_token": csrf_token(client), "product_id": product_id, "quantity": quantity}
    )


def login(client: FlaskClient, email: str = "buyer@example.ru", password: str = "correct horse battery"):
    return client.post("/account/login", data={"csrf_token": csrf_token(client), "email": email, "password": password})


GUEST = {
    "email": "Guest@Example.RU",
    "name": "Анна Смирнова",
    "phone": "8 916 123 45 67",
    "kind": "person",
    "region_code": "78",
    "city": "Санкт-Петербург",
    "postcode": "191186",
    "street": "Невский пр., д. 1, кв. 5",
    "recipient": "Анна Смирнова",
    "recipient_phone": "+7 (916) 123-45-67",
    "consent_personal_data": "y",
    # СДЭК on Невский (storefront/shipping/data/cdek_points.json); other methods ignore it.
    "pickup_point": "SPB41",
}


#: A registration form with the marketing box ticked (double opt-in tests).
SUBSCRIBER = {
    "email": "olga@example.ru",
    "name": "Ольга Соколова",
    "phone": "8 916 123-45-67",
    "password": "correct horse battery",
    "password_again": "correct horse battery",
    "kind": "person",
    "consent_personal_data": "y",
    "consent_marketing": "y",
}


def register(client: FlaskClient, **fields: str):
    """Register through the form (``SUBSCRIBER``, with ``fields`` changed)."""
    return client.post(
        "/account/register", data={**SUBSCRIBER, "csrf_token": csrf_token(client, "/account/register"), **fields}
    )


def checkout_form(client: FlaskClient) -> dict[str, str]:
    """Open /checkout and return the hidden fields a browser would send back."""
    html = client.get("/checkout").get_data(as_text=True)
    return {
        "csrf_token": CSRF_RE.search(html).group(1),
        "placement_token": TOKEN_RE.search(html).group(1),
        "cart_fingerprint": FINGERPRINT_RE.search(html).group(1),
    }


def place(client: FlaskClient, shipping_method: int, hidden: dict[str, str] | None = None, **fields: object):
    hidden = hidden or checkout_form(client)
    data = {**GUEST, **hidden, "shipping_method": shipping_method, "action": "place", **fields}
    return client.post("/checkout", data=data)


def crm_csrf(client: FlaskClient, path: str = "/crm/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def crm_login(client: FlaskClient, email: str, password: str = PASSWORD):
    return client.post("/crm/login", data={"csrf_token": crm_csrf(client), "email": email, "password": password})


def guest_token(pay_app: Flask, order: Order) -> str:
    """The signed guest link's token for ``order``."""
    return make_access_token(order, pay_app.config["SECRET_KEY"])


def crm_sign_in_as(session: Session, client: FlaskClient, role: str = "marketer") -> None:
    """Make a staff member with ``role`` (e-mail ``<role>@mostik.local``) and sign ``client`` in to the CRM."""
    make_staff(session, role)
    session.commit()
    assert crm_login(client, f"{role}@mostik.local").status_code == 302
