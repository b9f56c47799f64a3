"""Guest links to an order expire (``GUEST_LINK_DAYS``), staff can revoke them all from the CRM, and a guest with
a dead link can have a new one sent to the order's own address (same answer whatever the address)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.staff.models import Role
from storefront.db import utcnow
from storefront.order.models import Order
from storefront.order.services import ACCESS_SALT, LinkState, link_state, make_access_token
from storefront.outbox import OutboxMessage
from tests.support.factories import make_order, make_staff
from tests.support.web import crm_csrf, crm_login, csrf_token

EXPIRED_TITLE = "Ссылка больше не действует"
NEUTRAL = "Если этот адрес совпадает с адресом заказа, мы отправили на него новую ссылку"


def _signed_days_ago(app: Flask, order: Order, days: int) -> str:
    """A genuine token for the order, signed ``days`` ago."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - days * 86400

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=ACCESS_SALT, signer=Then)
    return serializer.dumps([order.number, order.access_version])


def _get(client: FlaskClient, order: Order, token: str):
    return client.get(f"/orders/{order.number}?t={token}")


def _link_mails(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "order_link"))


def test_a_fresh_link_works_and_a_forged_or_foreign_one_grants_nothing(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    order = make_order(session)
    other = make_order(session, email="boris@example.ru")
    session.commit()
    token = make_access_token(order, app.config["SECRET_KEY"])

    response = _get(client, order, token)
    assert response.status_code == 200
    assert order.number in response.get_data(as_text=True)

    forged = URLSafeTimedSerializer("not-our-secret", salt=ACCESS_SALT).dumps([order.number, 1])
    assert _get(client, order, forged).status_code == 404
    assert _get(client, order, token[:-2] + "xx").status_code == 404
    assert _get(client, other, token).status_code == 404  # a link to one order opens no other
    assert client.get(f"/orders/{order.number}/pay?t={forged}").status_code == 404


def test_a_link_older_than_the_setting_is_stale(app: Flask, session: Session) -> None:
    order = make_order(session)
    session.commit()
    secret, days = app.config["SECRET_KEY"], app.config["GUEST_LINK_DAYS"]
    token = make_access_token(order, secret)
    assert days == 30
    assert link_state(order, token, secret, days, now=utcnow() + timedelta(days=29)) == LinkState.VALID
    assert link_state(order, token, secret, days, now=utcnow() + timedelta(days=31)) == LinkState.STALE
    assert link_state(order, None, secret, days) == LinkState.INVALID
    # A link sent before links expired (untimed, the bare number) is stale: its guest is offered a new one.
    untimed = URLSafeSerializer(secret, salt=ACCESS_SALT).dumps(order.number)
    assert link_state(order, untimed, secret, days) == LinkState.STALE
    assert link_state(order, URLSafeSerializer("forged", salt=ACCESS_SALT).dumps(order.number), secret, days) == (
        LinkState.INVALID
    )


def test_an_expired_link_shows_the_russian_page_offering_a_new_one(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    order = make_order(session)
    session.commit()
    assert _get(client, order, _signed_days_ago(app, order, 29)).status_code == 200

    response = _get(client, order, _signed_days_ago(app, order, 31))

    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert EXPIRED_TITLE in page and "Отправить новую ссылку" in page
    assert "Кроссовки" not in page and order.email not in page  # nothing of the order itself
    assert client.get(f"/orders/{order.number}/pay?t={_signed_days_ago(app, order, 31)}").status_code == 410


def test_revoking_from_the_crm_kills_old_links_and_is_audited(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    order = make_order(session)
    make_staff(session, Role.OPERATOR)
    session.commit()
    old = make_access_token(order, app.config["SECRET_KEY"])
    assert crm_login(client, "operator@mostik.local").status_code == 302
    page = client.get(f"/crm/orders/{order.number}").get_data(as_text=True)
    assert "Отозвать ссылки гостя" in page

    response = client.post(
        f"/crm/orders/{order.number}/revoke-links",
        data={"csrf_token": crm_csrf(client, f"/crm/orders/{order.number}"), "number": order.number},
    )

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).access_version == 2
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "order.links_revoke")).one()
    assert (entry.staff_email, entry.target_type, entry.target_id) == ("operator@mostik.local", "order", order.number)
    guest = app.test_client()
    assert guest.get(f"/orders/{order.number}?t={old}").status_code == 410
    fresh = make_access_token(session.get(Order, order.id), app.config["SECRET_KEY"])
    assert guest.get(f"/orders/{order.number}?t={fresh}").status_code == 200


def test_a_marketer_cannot_revoke(app: Flask, client: FlaskClient, session: Session) -> None:
    order = make_order(session)
    make_staff(session, Role.MARKETER)
    session.commit()
    assert crm_login(client, "marketer@mostik.local").status_code == 302
    response = client.post(
        f"/crm/orders/{order.number}/revoke-links",
        data={"csrf_token": crm_csrf(client, "/crm/"), "number": order.number},
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Order, order.id).access_version == 1


def _ask(client: FlaskClient, order: Order, stale: str, email: str):
    token = csrf_token(client, f"/orders/{order.number}?t={stale}")
    return client.post(f"/orders/{order.number}/new-link", data={"csrf_token": token, "email": email})


def test_a_new_link_goes_to_the_order_address_only_and_the_answer_never_tells(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    order = make_order(session, email="anna@example.ru")
    session.commit()
    stale = _signed_days_ago(app, order, 40)

    wrong = _ask(client, order, stale, "boris@example.ru")
    assert wrong.status_code == 200 and NEUTRAL in wrong.get_data(as_text=True)
    assert _link_mails(session) == 0

    right = _ask(client, order, stale, "  Anna@Example.RU ")
    assert right.status_code == 200
    assert _neutral_text(right) == _neutral_text(wrong)
    assert _link_mails(session) == 1
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "order_link")).one()
    assert mail.to_address == "anna@example.ru"
    assert "новая ссылка" in mail.text_body.lower() or "новую ссылку" in mail.text_body.lower()
    link = re.search(r"https?://\S+", mail.text_body)
    assert link
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    assert app.test_client().get("/" + path).status_code == 200


def _neutral_text(response) -> str:
    return re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))


def test_asking_for_new_links_is_throttled(app: Flask, client: FlaskClient, session: Session) -> None:
    order = make_order(session)
    session.commit()
    stale = _signed_days_ago(app, order, 40)
    statuses = [_ask(client, order, stale, "boris@example.ru").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert _link_mails(session) == 0
