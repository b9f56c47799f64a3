"""The staff order page and refunds by staff, against the YooKassa stand-in through the real SDK, on both engines."""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.buyers.services import assign_managers
from crm.staff.models import Role
from devtools.yookassa_standin import StandInClient
from storefront.order.models import Order, PaymentStatus
from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment
from storefront.payment.errors import RefundError, RefundFailure
from storefront.payment.models import Refund
from storefront.payment.refunds import refund_order
from tests.support.factories import create_buyer, make_order, make_staff
from tests.support.web import CSRF_RE, crm_csrf, crm_login

TOKEN_RE = re.compile(r'name="token"[^>]*value="([0-9a-f]{32})"')


def _paid(session: Session, pay_app: Flask, control: StandInClient, buyer_id: int | None = None) -> Order:
    gateway = pay_app.extensions["payment_gateway"]
    order = make_order(session)
    order.buyer_id = buyer_id
    session.commit()
    payment = start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", PaymentPolicy())
    control.pay(payment.yookassa_payment_id)
    with pay_app.app_context():  # a buyer's paid order reaches the CRM's tier receiver, which uses the app's engine
        apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), PaymentPolicy())
    session.expire_all()
    return session.get(Order, order.id)


def _client(pay_app: Flask, session: Session, role: Role, email: str | None = None) -> FlaskClient:
    staff = make_staff(session, role, email=email)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, staff.email).status_code == 302
    return client


def _form(client: FlaskClient, number: str) -> dict[str, str]:
    html = client.get(f"/crm/orders/{number}").get_data(as_text=True)
    csrf, token = CSRF_RE.search(html), TOKEN_RE.search(html)
    assert csrf and token, "no refund form on the page"
    return {
        "csrf_token": csrf.group(1),
        "token": token.group(1),
        "mode": "partial",
        "reason": "Брак в партии",
        "confirm": "1",
    }


def _refunds(session: Session) -> int:
    return session.scalar(select(func.count(Refund.id))) or 0


def test_an_admin_refunds_part_then_the_rest_and_each_refund_is_audited(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    page = client.get(f"/crm/orders/{order.number}").get_data(as_text=True).replace("\u00a0", " ")
    assert "Кроссовки мужские беговые" in page and "4 449,80 ₽" in page and "Анна Смирнова" in page

    form = _form(client, order.number)
    response = client.post(f"/crm/orders/{order.number}/refund", data={**form, "amount": "1 000,50"})

    assert response.status_code == 302
    session.expire_all()
    refund = session.scalar(select(Refund))
    assert refund.amount == Decimal("1000.50") and refund.status == "succeeded"
    assert session.get(Order, order.id).payment_status == PaymentStatus.PARTIALLY_REFUNDED
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "order.refund"))
    assert entry.target_id == order.number and "Брак в партии" in entry.detail and "1000.50" in entry.detail
    page = client.get(f"/crm/orders/{order.number}").get_data(as_text=True).replace("\u00a0", " ")
    assert "Возвращено 1 000,50 ₽." in page  # the flash message
    assert "Можно вернуть: 3 449,30 ₽" in page

    rest = _form(client, order.number)
    response = client.post(f"/crm/orders/{order.number}/refund", data={**rest, "mode": "full", "amount": ""})

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).payment_status == PaymentStatus.REFUNDED
    assert session.scalar(select(func.sum(Refund.amount))) == order.total_amount
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "order.refund")) == 2
    assert len(standin.refunds) == 2
    assert 'name="token"' not in client.get(f"/crm/orders/{order.number}").get_data(as_text=True)  # nothing left


def test_a_double_submit_refunds_once(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    # More than half: after the first refund the second could not be made at all, yet it is not an error.
    form = {**_form(client, order.number), "amount": "3000"}

    first = client.post(f"/crm/orders/{order.number}/refund", data=form)
    second = client.post(f"/crm/orders/{order.number}/refund", data=form)

    assert first.status_code == second.status_code == 302
    assert _refunds(session) == 1 and len(standin.refunds) == 1
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "order.refund")) == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Это не сумма"),
        ("0", "больше нуля"),
        ("-5", "больше нуля"),
        ("1,234", "больше нуля"),
        ("", "Введите сумму"),
        ("1e40", "Это не сумма"),
        ("1e3", "Это не сумма"),  # Decimal reads an exponent: the refund was 1 000 ₽
        ("1_000", "Это не сумма"),  # and an underscore
        ("Infinity", "Это не сумма"),
        ("NaN", "Это не сумма"),
        ("4449,81", "Можно вернуть не больше 4 449,80 ₽"),
    ],
)
def test_a_bad_amount_is_a_russian_form_error_and_changes_nothing(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
    amount: str,
    message: str,
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)

    response = client.post(f"/crm/orders/{order.number}/refund", data={**_form(client, order.number), "amount": amount})

    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("\u00a0", " ")
    assert _refunds(session) == 0 and len(standin.refunds) == 0
    session.expire_all()
    assert session.get(Order, order.id).payment_status == PaymentStatus.PAID


def test_a_refund_needs_a_reason(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    data = {**_form(client, order.number), "amount": "10", "reason": "  "}

    response = client.post(f"/crm/orders/{order.number}/refund", data=data)

    assert response.status_code == 400
    assert "Укажите, почему" in response.get_data(as_text=True)
    assert _refunds(session) == 0


def test_an_account_manager_refunds_only_their_own_buyers_orders(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
) -> None:
    standin.auto_notify = False
    mine = create_buyer(session, email="mine@example.ru")
    theirs = create_buyer(session, email="theirs@example.ru")
    session.commit()
    my_order = _paid(session, pay_app, control, mine.id)
    other_order = _paid(session, pay_app, control, theirs.id)
    manager = make_staff(session, Role.ACCOUNT_MANAGER)
    session.commit()
    assign_managers(session, [mine.id], manager.id)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, manager.email).status_code == 302

    other_page = client.get(f"/crm/orders/{other_order.number}")
    assert other_page.status_code == 200
    other_html = other_page.get_data(as_text=True)
    assert 'name="token"' not in other_html and "anna@example.ru" not in other_html  # summary only
    form = _form(client, my_order.number)
    refused = client.post(f"/crm/orders/{other_order.number}/refund", data={**form, "amount": "10"})
    assert refused.status_code == 403
    assert _refunds(session) == 0

    done = client.post(f"/crm/orders/{my_order.number}/refund", data={**form, "amount": "10"})
    assert done.status_code == 302
    assert _refunds(session) == 1


def test_a_marketer_may_not_open_or_refund_orders(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.MARKETER)
    assert client.get(f"/crm/orders/{order.number}").status_code == 403
    data = {"csrf_token": crm_csrf(client, "/crm/"), "amount": "10", "mode": "partial", "reason": "x"}
    assert client.post(f"/crm/orders/{order.number}/refund", data=data).status_code == 403
    assert _refunds(session) == 0
    assert client.get("/crm/orders/MK-2026-999999").status_code == 403


def test_an_unknown_order_is_a_404(pay_app: Flask, session: Session) -> None:
    client = _client(pay_app, session, Role.ADMIN)
    assert client.get("/crm/orders/MK-2026-999999").status_code == 404


def test_concurrent_submits_of_one_form_refund_once(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
) -> None:
    """A double click that reaches the server as simultaneous requests: the form token is a unique key."""
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    form = {**_form(client, order.number), "amount": "700"}
    cookie = client.get_cookie("session")
    assert cookie is not None
    url = pay_app.config["LIVE_URL"] + f"/crm/orders/{order.number}/refund"
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def submit() -> None:
        barrier.wait()
        response = requests.post(url, data=form, cookies={"session": cookie.value}, allow_redirects=False, timeout=20)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * 4
    assert _refunds(session) == 1 and len(standin.refunds) == 1
    session.expire_all()
    assert session.scalar(select(Refund.amount)) == Decimal("700.00")


def test_two_staff_forms_at_once_one_refund_reported_and_audited_once(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
) -> None:
    """Two staff members submit their own refund forms (different tokens) at the same moment: the second arrives
    while the first refund still awaits YooKassa's answer. It must not adopt that refund (reporting «Возвращено»
    and writing a second audit entry for one refund): it is refused with a Russian message and writes nothing."""
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    first = _client(pay_app, session, Role.ADMIN, email="first@mostik.local")
    second = _client(pay_app, session, Role.ADMIN, email="second@mostik.local")
    first_form = {**_form(first, order.number), "amount": "500"}
    second_form = {**_form(second, order.number), "amount": "500"}
    assert first_form["token"] != second_form["token"]
    cookie = first.get_cookie("session")
    assert cookie is not None
    url = pay_app.config["LIVE_URL"] + f"/crm/orders/{order.number}/refund"
    control.add_fault("slow", "POST /refunds", seconds=1.0)  # the first refund's answer takes a moment
    answers: list[requests.Response] = []

    def submit_first() -> None:
        answers.append(
            requests.post(url, data=first_form, cookies={"session": cookie.value}, allow_redirects=False, timeout=20)
        )

    thread = threading.Thread(target=submit_first)
    thread.start()
    for _ in range(500):  # until the first request's refund call has reached the stand-in
        if any(entry["path"] == "/refunds" for entry in list(standin.request_log)):
            break
        threading.Event().wait(0.01)
    refused = second.post(f"/crm/orders/{order.number}/refund", data=second_form)
    thread.join()

    assert answers[0].status_code == 302
    assert refused.status_code == 409
    text = refused.get_data(as_text=True).replace("\u00a0", " ")
    assert "Возврат на 500,00 ₽ уже оформляет другой сотрудник" in text and "Можно вернуть ещё: 3 949,80 ₽" in text
    assert "Возвращено 500" not in text
    session.expire_all()
    assert _refunds(session) == 1 and len(standin.refunds) == 1
    audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "order.refund")).all()
    assert len(audits) == 1 and "500.00" in audits[0].detail
    location = answers[0].headers["Location"]
    page = requests.get(
        pay_app.config["LIVE_URL"] + location if location.startswith("/") else location,
        cookies={"session": answers[0].cookies.get("session") or cookie.value},
        timeout=20,
    )
    assert "Возвращено 500,00 ₽." in page.text.replace("\u00a0", " ")  # the first staff member's flash message


def test_refund_order_with_a_key_returns_the_first_refund_and_refuses_the_key_on_another_order(
    session: Session,
    pay_app: Flask,
    standin,
    control: StandInClient,
) -> None:
    standin.auto_notify = False
    gateway = pay_app.extensions["payment_gateway"]
    order, other = _paid(session, pay_app, control), _paid(session, pay_app, control)

    first = refund_order(session, gateway, order, Decimal("100.00"), idempotence_key="crm-refund-" + "a" * 32)
    again = refund_order(session, gateway, order, Decimal("100.00"), idempotence_key="crm-refund-" + "a" * 32)
    with pytest.raises(RefundError) as foreign:
        refund_order(session, gateway, other, Decimal("100.00"), idempotence_key="crm-refund-" + "a" * 32)

    assert again.id == first.id and first.status == "succeeded"
    assert foreign.value.code == RefundFailure.BAD_KEY
    assert _refunds(session) == 1 and len(standin.refunds) == 1


def test_the_tier_an_order_was_placed_with_is_named_not_coded(pay_app: Flask, session: Session) -> None:
    from crm.tiers.services import seed_tiers

    seed_tiers(session)
    order = make_order(session)
    order.tier_code = "gold"
    session.commit()
    page = _client(pay_app, session, Role.ADMIN).get(f"/crm/orders/{order.number}").get_data(as_text=True)
    assert "уровень при оформлении: Золото" in page
    assert "gold" not in page
