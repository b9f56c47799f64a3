"""The named signals (``storefront.events``) go out after the entry point's commit: the request session's
commit comes first, and a receiver reading on its own connection already sees the new row (on PostgreSQL;
SQLite's test file may show it either way)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from storefront.account.models import Buyer
from storefront.events import buyer_registered, order_placed
from storefront.extensions import db
from storefront.order.models import Order
from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_shop
from tests.support.web import add_to_cart, csrf_token, place


@contextmanager
def request_commits(events: list[str]) -> Iterator[None]:
    """Append "commit" to ``events`` whenever the app's request session commits."""

    def note(session: Session) -> None:
        if session is db.session():
            events.append("commit")

    event.listen(Session, "after_commit", note)
    try:
        yield
    finally:
        event.remove(Session, "after_commit", note)


def test_order_placed_is_sent_after_the_order_is_committed(client: FlaskClient, session: Session) -> None:
    product = create_shop(session, stock=10)
    session.commit()
    method_id = session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == "cdek-pickup")).one()
    add_to_cart(client, product.id, 2)
    seen: list[str | None] = []
    events: list[str] = []

    def receiver(sender: object, **fields: Any) -> None:
        events.append("order_placed")
        with Session(db.engine) as own:  # another connection: sees only committed rows
            seen.append(own.scalar(select(Order.number).where(Order.id == fields["order_id"])))

    order_placed.connect(receiver, weak=False)
    try:
        with request_commits(events):
            assert place(client, method_id).status_code == 303
    finally:
        order_placed.disconnect(receiver)
    assert events == ["commit", "order_placed"]
    assert seen == [session.scalars(select(Order.number)).one()]


def test_buyer_registered_is_sent_after_the_account_is_committed(client: FlaskClient) -> None:
    seen: list[str | None] = []
    events: list[str] = []

    def receiver(sender: object, **fields: Any) -> None:
        events.append("buyer_registered")
        with Session(db.engine) as own:
            seen.append(own.scalar(select(Buyer.email).where(Buyer.id == fields["buyer_id"])))

    data = {
        "csrf_token": csrf_token(client, "/account/register"),
        "email": "ivan@example.ru",
        "name": "Иван Петров",
        "phone": "8 916 123-45-67",
        "password": "correct horse battery",
        "password_again": "correct horse battery",
        "kind": "person",
        "consent_personal_data": "y",
    }
    buyer_registered.connect(receiver, weak=False)
    try:
        with request_commits(events):
            assert client.post("/account/register", data=data).status_code == 302
    finally:
        buyer_registered.disconnect(receiver)
    assert events == ["commit", "buyer_registered"]
    assert seen == ["ivan@example.ru"]
