"""SBP (Система быстрых платежей) as its own payment method: the pay page's choice, the payment created with
``payment_method_data: {"type": "sbp"}`` through the real SDK, YooKassa's SBP page (QR and a link for phones) on
the stand-in, and the notification that pays the order."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from storefront.order.models import Order, PaymentStatus
from storefront.payment.attempts import PaymentPolicy, start_payment
from storefront.payment.models import Payment, YooKassaMethod
from tests.support.factories import make_order
from tests.support.web import guest_token


def _pay(pay_app, order: Order, method: str | None = None) -> str:
    url = f"/orders/{order.number}/pay?t={guest_token(pay_app, order)}"
    return url + (f"&method={method}" if method else "")


def _attempts(session, order: Order) -> list[Payment]:
    session.expire_all()
    return list(session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))


def test_the_pay_page_offers_card_and_sbp_and_creates_nothing(session, pay_app, standin):
    order = make_order(session)
    session.commit()

    response = pay_app.test_client().get(_pay(pay_app, order))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Банковской картой" in html and "СБП" in html and "Система быстрых платежей" in html
    assert "method=bank_card" in html and "method=sbp" in html
    assert _attempts(session, order) == [] and standin.payments == {}


def test_an_unknown_method_is_refused_in_russian_and_changes_nothing(session, pay_app, standin):
    order = make_order(session)
    session.commit()

    response = pay_app.test_client().get(_pay(pay_app, order, "bitcoin"))

    assert response.status_code == 400
    assert "Выберите способ оплаты" in response.get_data(as_text=True)
    assert _attempts(session, order) == [] and standin.payments == {}


def test_paying_by_sbp_creates_an_sbp_payment_and_its_notification_pays_the_order(session, pay_app, standin, control):
    order = make_order(session)
    session.commit()

    response = pay_app.test_client().get(_pay(pay_app, order, "sbp"))

    assert response.status_code == 302 and "/checkout/" in response.headers["Location"]
    [attempt] = _attempts(session, order)
    assert attempt.method == YooKassaMethod.SBP and attempt.capture is True
    [create] = [r for r in control.requests() if r["path"] == "/payments" and r["method"] == "POST"]
    assert create["body"]["payment_method_data"] == {"type": "sbp"}
    assert create["body"]["confirmation"]["type"] == "redirect"
    assert {item["measure"] for item in create["body"]["receipt"]["items"]} == {"piece"}

    # YooKassa's SBP page: a QR for a computer, a link that opens the banking app on a phone.
    page = requests.get(response.headers["Location"], timeout=5).text
    assert "Оплата через СБП" in page and re.search(r"<img class='qr' src='data:image/svg\+xml", page)
    assert "Открыть приложение банка" in page
    phone = requests.get(response.headers["Location"] + "?sbp=app", timeout=5).text
    assert "Приложение банка" in phone

    paid = requests.post(response.headers["Location"], data={"action": "pay"}, allow_redirects=False, timeout=5)
    assert paid.status_code == 303
    assert standin.wait_for_notifications(10)
    session.expire_all()
    assert session.get(Order, order.id).payment_status == PaymentStatus.PAID
    assert standin.payment_record(attempt.yookassa_payment_id)["payment_method"]["type"] == "sbp"


def test_switching_between_card_and_sbp_makes_a_new_attempt_and_coming_back_reuses_it(
    session, pay_app, standin, control
):
    order = make_order(session)
    session.commit()
    client = pay_app.test_client()

    card = client.get(_pay(pay_app, order, "bank_card")).headers["Location"]
    sbp = client.get(_pay(pay_app, order, "sbp")).headers["Location"]
    sbp_again = client.get(_pay(pay_app, order, "sbp")).headers["Location"]

    assert card != sbp and sbp == sbp_again
    attempts = _attempts(session, order)
    assert [a.method for a in attempts] == [YooKassaMethod.BANK_CARD, YooKassaMethod.SBP]
    assert len({a.idempotence_key for a in attempts}) == 2


def test_sbp_is_never_two_stage_even_when_cards_are(session, pay_app, standin):
    order = make_order(session)
    session.commit()
    gateway = pay_app.extensions["payment_gateway"]

    payment = start_payment(
        session, gateway, order, "http://127.0.0.1/r", PaymentPolicy(two_stage=True), YooKassaMethod.SBP
    )

    assert payment.capture is True and payment.confirmation_url
    assert standin.payment_record(payment.yookassa_payment_id)["_capture"] is True
