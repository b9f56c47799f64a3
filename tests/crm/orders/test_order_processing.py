"""Staff move an order along its fulfilment on the CRM order page: confirm, packed, delivered, cancel with a
reason (a paid order refunded in full through the YooKassa stand-in, once, even when two staff members cancel at
the same moment), and the refund confirmation step. Both engines; the race on PostgreSQL."""

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
from crm.staff.models import Role
from devtools.yookassa_standin import StandInClient
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import change_status
from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment
from storefront.payment.cancel import cancel_refund_key
from storefront.payment.models import Refund
from tests.support.factories import make_order, make_staff
from tests.support.russian import latin_words
from tests.support.web import CSRF_RE, crm_login

TOKEN_RE = re.compile(r'name="token"[^>]*value="([0-9a-f]{32})"')


def _paid(session: Session, pay_app: Flask, control: StandInClient) -> Order:
    gateway = pay_app.extensions["payment_gateway"]
    order = make_order(session)
    session.commit()
    payment = start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", PaymentPolicy())
    control.pay(payment.yookassa_payment_id)
    with pay_app.app_context():
        apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), PaymentPolicy())
    session.expire_all()
    return session.get(Order, order.id)


def _client(pay_app: Flask, session: Session, role: Role, email: str | None = None) -> FlaskClient:
    staff = make_staff(session, role, email=email)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, staff.email).status_code == 302
    return client


def _page(client: FlaskClient, number: str) -> str:
    return client.get(f"/crm/orders/{number}").get_data(as_text=True).replace("\u00a0", " ")


def _csrf(client: FlaskClient, number: str) -> str:
    match = CSRF_RE.search(_page(client, number))
    assert match
    return match.group(1)


def _audit(session: Session, action: str) -> int:
    return session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action)) or 0


def _refunds(session: Session) -> list[Refund]:
    session.expire_all()
    return list(session.scalars(select(Refund)))


@pytest.fixture
def inbox(smtp_server):
    box, _port = smtp_server
    box.reset()
    yield box
    box.reset()


def _texts(inbox) -> list[str]:
    return [message.get_body(("plain",)).get_content() for message in inbox.messages]


def test_an_admin_confirms_packs_and_a_second_click_changes_nothing_and_says_so(
    session: Session, pay_app: Flask, standin, control: StandInClient, inbox
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    page = _page(client, order.number)
    assert 'data-step="confirmed"' in page and 'data-step="packed"' not in page and 'id="cancel"' in page
    inbox.reset()
    csrf = _csrf(client, order.number)

    first = client.post(f"/crm/orders/{order.number}/status", data={"csrf_token": csrf, "to": "confirmed"})
    second = client.post(f"/crm/orders/{order.number}/status", data={"csrf_token": csrf, "to": "confirmed"})

    assert first.status_code == second.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.CONFIRMED
    assert session.get(Order, order.id).confirmed_at is not None
    assert _audit(session, "order.confirm") == 1
    page = _page(client, order.number)
    assert "Заказ уже подтверждён" in page
    assert 'data-step="packed"' in page and 'data-step="confirmed"' not in page
    texts = _texts(inbox)
    assert len(texts) == 1 and "подтвердил" in texts[0] and not latin_words(texts[0])

    assert (
        client.post(f"/crm/orders/{order.number}/status", data={"csrf_token": csrf, "to": "packed"}).status_code == 302
    )
    assert _audit(session, "order.pack") == 1
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "order.pack"))
    assert entry is not None and entry.staff_email == "admin@mostik.local" and entry.target_id == order.number


def test_only_the_steps_the_status_allows_are_offered_and_others_are_refused(
    session: Session, pay_app: Flask, standin, control: StandInClient
) -> None:
    standin.auto_notify = False
    unpaid = make_order(session)
    session.commit()
    client = _client(pay_app, session, Role.ADMIN)
    page = _page(client, unpaid.number)
    assert "data-step=" not in page and "после оплаты" in page and 'id="cancel"' in page
    csrf = _csrf(client, unpaid.number)
    refused = client.post(f"/crm/orders/{unpaid.number}/status", data={"csrf_token": csrf, "to": "confirmed"})
    assert refused.status_code == 409 and "ещё не оплачен" in refused.get_data(as_text=True)
    jumped = client.post(f"/crm/orders/{unpaid.number}/status", data={"csrf_token": csrf, "to": "delivered"})
    assert jumped.status_code == 409 and "невозможен" in jumped.get_data(as_text=True)
    unknown = client.post(f"/crm/orders/{unpaid.number}/status", data={"csrf_token": csrf, "to": "completed"})
    assert unknown.status_code == 400

    order = _paid(session, pay_app, control)
    change_status(session, order, OrderStatus.CONFIRMED)
    change_status(session, order, OrderStatus.SHIPPED)
    session.commit()
    page = _page(client, order.number)
    assert 'data-step="delivered"' in page and 'id="cancel"' not in page  # shipped: no cancel
    done = client.post(f"/crm/orders/{order.number}/status", data={"csrf_token": csrf, "to": "delivered"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.DELIVERED
    assert "data-step=" not in _page(client, order.number)
    assert _audit(session, "order.deliver") == 1


def test_an_account_manager_may_not_process_orders(session: Session, pay_app: Flask) -> None:
    order = make_order(session)
    session.commit()
    client = _client(pay_app, session, Role.ACCOUNT_MANAGER)
    assert "data-step=" not in _page(client, order.number)
    csrf = _csrf(client, order.number)
    assert client.post(f"/crm/orders/{order.number}/cancel", data={"csrf_token": csrf}).status_code == 403
    assert client.post(f"/crm/orders/{order.number}/status", data={"csrf_token": csrf}).status_code == 403


def test_cancel_needs_a_reason(session: Session, pay_app: Flask) -> None:
    order = make_order(session)
    session.commit()
    client = _client(pay_app, session, Role.ADMIN)
    csrf = _csrf(client, order.number)
    url = f"/crm/orders/{order.number}/cancel"

    none = client.post(url, data={"csrf_token": csrf, "reason": ""})
    other = client.post(url, data={"csrf_token": csrf, "reason": "other", "details": "  "})

    assert none.status_code == other.status_code == 400
    assert "Выберите, почему" in none.get_data(as_text=True)
    assert "своими словами" in other.get_data(as_text=True)
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.NEW


def test_canceling_an_unpaid_order_emails_the_reason_and_refunds_nothing(
    session: Session, pay_app: Flask, standin, inbox
) -> None:
    order = make_order(session)
    session.commit()
    client = _client(pay_app, session, Role.ADMIN)
    data = {"csrf_token": _csrf(client, order.number), "reason": "other", "details": "Покупатель передумал"}

    assert client.post(f"/crm/orders/{order.number}/cancel", data=data).status_code == 302

    session.expire_all()
    canceled = session.get(Order, order.id)
    assert canceled.status == OrderStatus.CANCELED and canceled.history[-1].note == "Покупатель передумал"
    assert _refunds(session) == [] and len(standin.refunds) == 0
    assert _audit(session, "order.cancel") == 1
    texts = _texts(inbox)
    assert len(texts) == 1 and "Покупатель передумал" in texts[0] and "вернём" not in texts[0]
    assert not latin_words(texts[0])


def test_canceling_a_paid_order_refunds_it_in_full_once(
    session: Session, pay_app: Flask, standin, control: StandInClient, inbox
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    page = _page(client, order.number)
    assert "4 449,80 ₽" in page and "через ЮKassa" in page
    inbox.reset()
    data = {"csrf_token": _csrf(client, order.number), "reason": "supplier_out_of_stock"}

    first = client.post(f"/crm/orders/{order.number}/cancel", data=data)
    second = client.post(f"/crm/orders/{order.number}/cancel", data=data)

    assert first.status_code == second.status_code == 302
    refunds = _refunds(session)
    assert len(refunds) == 1 and len(standin.refunds) == 1
    assert refunds[0].amount == Decimal("4449.80") and refunds[0].idempotence_key == cancel_refund_key(order.id)
    assert refunds[0].receipt["items"], "the 54-FZ refund receipt is sent with it"
    canceled = session.get(Order, order.id)
    assert canceled.status == OrderStatus.CANCELED and canceled.payment_status == PaymentStatus.REFUNDED
    assert _audit(session, "order.cancel") == 1 and _audit(session, "order.refund") == 1
    assert "Заказ уже отменён" in _page(client, order.number)
    texts = _texts(inbox)
    assert len(texts) == 2  # canceled (the money is on its way back), then refunded in full
    assert "нет у поставщика" in texts[0] and "4 449,80 ₽" in texts[0].replace("\u00a0", " ")
    assert "вернули" in texts[1] and "полностью" in texts[1]
    for text in texts:
        assert not latin_words(text), text


def test_a_cancel_refund_without_an_answer_stays_to_be_retried_and_is_made_once(
    session: Session, pay_app: Flask, standin, control: StandInClient
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    control.add_fault("drop", "POST /refunds", after_commit=True, count=-1)
    data = {"csrf_token": _csrf(client, order.number), "reason": "duplicate"}

    response = client.post(f"/crm/orders/{order.number}/cancel", data=data, follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "не ответил" in html and "Повторить возврат" in html
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.CANCELED
    assert session.get(Order, order.id).payment_status == PaymentStatus.PAID
    assert [r.status for r in _refunds(session)] == ["unknown"]

    control.clear_faults()
    retry = {"csrf_token": _csrf(client, order.number), "number": order.number}
    assert client.post(f"/crm/orders/{order.number}/cancel-refund", data=retry).status_code == 302
    assert client.post(f"/crm/orders/{order.number}/cancel-refund", data=retry).status_code == 302

    refunds = _refunds(session)
    assert [r.status for r in refunds] == ["succeeded"] and len(standin.refunds) == 1
    assert session.get(Order, order.id).payment_status == PaymentStatus.REFUNDED
    assert "Повторить возврат" not in _page(client, order.number)


@pytest.mark.postgres_only
def test_two_staff_members_cancel_a_paid_order_at_once_one_cancel_one_refund(
    session: Session, pay_app: Flask, standin, control: StandInClient
) -> None:
    """Two sessions, two CSRF tokens, two threads on the live server: one cancel, one refund, one entry each."""
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    clients = [_client(pay_app, session, Role.ADMIN, email=f"admin{n}@mostik.local") for n in range(2)]
    posts = []
    for client in clients:
        token = _csrf(client, order.number)  # first: opening the page may rewrite the session cookie
        cookie = client.get_cookie("session")
        assert cookie is not None
        posts.append(({"csrf_token": token, "reason": "buyer_asked"}, cookie.value))
    url = pay_app.config["LIVE_URL"] + f"/crm/orders/{order.number}/cancel"
    barrier = threading.Barrier(len(posts))
    statuses: list[int] = []

    def submit(data: dict[str, str], cookie: str) -> None:
        barrier.wait()
        response = requests.post(url, data=data, cookies={"session": cookie}, allow_redirects=False, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=post) for post in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302, 302]
    refunds = _refunds(session)
    assert len(refunds) == 1 and len(standin.refunds) == 1 and refunds[0].amount == order.total_amount
    assert session.get(Order, order.id).payment_status == PaymentStatus.REFUNDED
    assert [h.to_status for h in session.get(Order, order.id).history].count("canceled") == 1
    assert _audit(session, "order.cancel") == 1 and _audit(session, "order.refund") == 1


def test_a_staff_refund_is_confirmed_with_the_figures_first(
    session: Session, pay_app: Flask, standin, control: StandInClient
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    html = _page(client, order.number)
    token = TOKEN_RE.search(html)
    assert token
    data = {
        "csrf_token": _csrf(client, order.number),
        "token": token.group(1),
        "mode": "partial",
        "amount": "1 000,50",
        "reason": "Брак",
    }

    asked = client.post(f"/crm/orders/{order.number}/refund", data=data)

    page = asked.get_data(as_text=True).replace("\u00a0", " ")
    assert asked.status_code == 200 and _refunds(session) == []
    assert "1 000,50 ₽" in page and "3 449,30 ₽" in page and "Останется к возврату" in page
    assert 'name="confirm" value="1"' in page
    done = client.post(f"/crm/orders/{order.number}/refund", data={**data, "confirm": "1"})
    assert done.status_code == 302 and [r.amount for r in _refunds(session)] == [Decimal("1000.50")]


def test_the_refund_command_finishes_an_unanswered_cancel_refund_with_its_key(
    session: Session, pay_app: Flask, standin, control: StandInClient
) -> None:
    standin.auto_notify = False
    order = _paid(session, pay_app, control)
    client = _client(pay_app, session, Role.ADMIN)
    control.add_fault("drop", "POST /refunds", after_commit=True, count=-1)
    data = {"csrf_token": _csrf(client, order.number), "reason": "cannot_deliver"}
    assert client.post(f"/crm/orders/{order.number}/cancel", data=data).status_code == 302
    control.clear_faults()

    result = pay_app.test_cli_runner().invoke(args=["payment", "refund", order.number])

    assert result.exit_code == 0, result.output
    refunds = _refunds(session)
    assert [(r.status, r.idempotence_key) for r in refunds] == [("succeeded", cancel_refund_key(order.id))]
    assert len(standin.refunds) == 1  # the dropped call had made it at YooKassa: the retry got the same refund
    assert session.get(Order, order.id).payment_status == PaymentStatus.REFUNDED


#: The one-button steps offered per goods status when the money is in (shipping is a shipment, cancel a form).
OFFERED = {
    OrderStatus.NEW: ["confirmed"],
    OrderStatus.CONFIRMED: ["packed"],
    OrderStatus.PACKED: [],
    OrderStatus.SHIPPED: ["delivered"],
    OrderStatus.DELIVERED: [],
    OrderStatus.COMPLETED: [],
    OrderStatus.CANCELED: [],
}


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("money", list(PaymentStatus))
def test_the_offered_steps_follow_the_transition_table(status: OrderStatus, money: PaymentStatus) -> None:
    from crm.orders.views import _step_actions
    from storefront.order.models import MONEY_IN, TRANSITIONS

    order = Order(status=status, payment_status=money)
    offered = [str(step) for step in _step_actions(order)]
    assert offered == (OFFERED[status] if money in MONEY_IN else [])
    assert all(OrderStatus(step) in TRANSITIONS[status] for step in offered)
