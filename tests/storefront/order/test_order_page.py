"""What the buyer sees: the steps done and ahead with dates and the expected delivery, every payment and refund
with its receipt, the money status in words with amounts, the payment-pending reloads that back off and stop, the
invoice of a paid order, and every status e-mail in Russian (no English words) with its amounts. Both engines."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.progress import order_progress
from storefront.order.services import change_payment_status, change_status, make_access_token
from storefront.order.web import delivery_window
from storefront.outbox import expect_mail
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState
from storefront.payment.receipt import ReceiptLine, build_receipt, build_receipt_items, receipt_customer
from tests.support.factories import make_order
from tests.support.russian import latin_words

#: 2 × 50 775,00 + 450,00 shipping = 102 000,00 ₽.
LINES = (("Станок фрезерный настольный", 2, Decimal("50775.00")),)


def _text(html: str) -> str:
    return html.replace("\u00a0", " ").replace("\u202f", " ")


def _paid(session: Session, at: datetime | None = None) -> tuple[Order, Payment]:
    order = make_order(session, LINES)
    order.buyer_kind, order.company_name, order.inn = "company", "ООО «Ромашка»", "7707083893"
    receipt = build_receipt(
        receipt_customer(email=order.email),
        build_receipt_items([ReceiptLine(t, q, p) for t, q, p in LINES], shipping=order.shipping_amount),
    )
    payment = Payment(
        order_id=order.id,
        idempotence_key=secrets.token_hex(16),
        yookassa_payment_id=f"pay-{secrets.token_hex(6)}",
        status=AttemptStatus.SUCCEEDED,
        amount=order.total_amount,
        description=f"Заказ {order.number}",
        return_url="http://127.0.0.1/",
        receipt=receipt,
        succeeded_at=at or utcnow(),
    )
    session.add(payment)
    session.flush()
    change_payment_status(session, order, PaymentStatus.PAID, reference=payment.yookassa_payment_id or "", now=at)
    return order, payment


def _refund(session: Session, order: Order, payment: Payment, amount: str) -> Refund:
    refund = Refund(
        payment_id=payment.id,
        order_id=order.id,
        idempotence_key=secrets.token_hex(16),
        yookassa_refund_id=f"rf-{secrets.token_hex(6)}",
        status=RefundState.SUCCEEDED,
        amount=Decimal(amount),
        receipt=build_receipt(
            receipt_customer(email=order.email),
            build_receipt_items([ReceiptLine("Станок фрезерный настольный", 1, Decimal(amount))]),
        ),
    )
    session.add(refund)
    session.flush()
    full = Decimal(amount) == payment.amount
    wanted = PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED
    change_payment_status(session, order, wanted, reference=refund.yookassa_refund_id or "", amount=Decimal(amount))
    return refund


def _open(app: Flask, client: FlaskClient, order: Order, path: str = "", **query: str) -> str:
    token = make_access_token(order, app.config["SECRET_KEY"])
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    response = client.get(f"/orders/{order.number}{path}?t={token}{extra}")
    assert response.status_code == 200
    return _text(response.get_data(as_text=True))


def test_the_order_page_shows_the_steps_the_money_in_words_and_every_receipt(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    order, payment = _paid(session)
    change_status(session, order, OrderStatus.CONFIRMED, staff_id=1)
    _refund(session, order, payment, "17240.00")
    session.commit()

    page = _open(app, client, order)

    steps = re.findall(r'class="step ([a-z\- ]+)" data-step="([a-z]+)"', page)
    assert [key for _classes, key in steps] == [
        "placed",
        "paid",
        "confirmed",
        "packed",
        "shipped",
        "delivered",
        "completed",
    ]
    assert [classes.strip() for classes, _key in steps[:4]] == [
        "step-done",
        "step-done",
        "step-done",
        "step-ahead step-current",
    ]
    assert "Подтверждён поставщиком" in page and "следующий шаг" in page
    assert "ожидаемая доставка" in page and "data-expected" in page
    assert "Частично возвращено 17 240,00 ₽ из 102 000,00 ₽" in page
    assert "Оплата 102 000,00 ₽" in page and "Возврат −17 240,00 ₽" in page
    assert "Чек (54-ФЗ)" in page and "Чек возврата (54-ФЗ)" in page
    assert "Станок фрезерный настольный" in page and "Доставка" in page
    assert f"Кассовый чек платёжный сервис отправляет на {order.email}" in page
    assert 'http-equiv="refresh"' not in page  # nothing to wait for
    assert "191186, Санкт-Петербург, Невский" in page  # a federal city is not named twice
    assert "Подтвердить получение</button>" not in page  # the protection rules name the button


def test_a_delivered_order_keeps_confirm_receipt_and_a_canceled_one_shows_why(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    order, _payment = _paid(session)
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        change_status(session, order, step)
    canceled = make_order(session)
    change_status(session, canceled, OrderStatus.CANCELED, note="supplier_out_of_stock")
    session.commit()

    delivered = _open(app, client, order)
    assert "Подтвердить получение" in delivered and "ожидаемая доставка" not in delivered
    assert 'data-step="packed"' in delivered  # passed over (shipped straight after confirmation): shown as done

    page = _open(app, client, canceled)
    assert 'data-step="canceled"' in page and "причина: товара нет у поставщика" in page
    assert 'data-step="paid"' not in page and "ожидаемая доставка" not in page
    assert "Ещё не оплачен" in page


def test_the_expected_delivery_counts_from_shipping_and_reads_in_russian(app: Flask, session: Session) -> None:
    order, _payment = _paid(session)
    change_status(session, order, OrderStatus.CONFIRMED)
    change_status(session, order, OrderStatus.SHIPPED, now=datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    session.flush()

    progress = order_progress(order, date(2026, 12, 5))

    assert progress.expected == (date(2026, 12, 12), date(2026, 12, 16))
    with app.test_request_context(), force_locale("ru"):
        assert delivery_window(progress.expected) == "12–16 декабря"
        assert delivery_window((date(2026, 11, 28), date(2026, 12, 3))) == "28 ноября – 3 декабря"
        assert delivery_window((date(2026, 12, 3), date(2026, 12, 3))) == "3 декабря"
    late = order_progress(order, date(2026, 12, 20))  # overdue: never a date in the past
    assert late.expected == (date(2026, 12, 20), date(2026, 12, 20))
    session.rollback()


def _pending(session: Session, status: AttemptStatus = AttemptStatus.PENDING, with_id: bool = True) -> Order:
    order = make_order(session)
    session.add(
        Payment(
            order_id=order.id,
            idempotence_key=secrets.token_hex(16),
            yookassa_payment_id=f"pay-{secrets.token_hex(6)}" if with_id else None,
            status=status,
            amount=order.total_amount,
            description=f"Заказ {order.number}",
            return_url="http://127.0.0.1/",
        )
    )
    session.commit()
    return order


REFRESH_RE = re.compile(r'http-equiv="refresh" content="(\d+); url=([^"]+)"')


def test_the_pending_page_backs_off_then_stops_with_a_button_to_check_again(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    order = _pending(session)
    delays = []
    page = _open(app, client, order)
    for _ in range(20):
        match = REFRESH_RE.search(page)
        if match is None:
            break
        delays.append(int(match.group(1)))
        next_url = match.group(2).replace("&amp;", "&")
        response = client.get(next_url)
        page = _text(response.get_data(as_text=True))
    assert delays[:4] == [3, 5, 10, 20] and 150 <= sum(delays) <= 300
    assert "Страница больше не обновляется сама" in page and "Проверить снова" in page
    assert "обновится сама" not in page
    assert REFRESH_RE.search(_open(app, client, order, wait="abc")).group(1) == "3"  # nonsense: from the start

    check = re.search(r'action="([^"]*/pay/check[^"]*)"', page)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert check and csrf
    again = client.post(check.group(1).replace("&amp;", "&"), data={"csrf_token": csrf.group(1)})
    assert again.status_code == 303 and "wait=" not in again.location  # the reloads start again


@pytest.mark.parametrize(
    ("status", "with_id"), [(AttemptStatus.UNKNOWN, False), (AttemptStatus.CANCELED, True), (None, False)]
)
def test_no_reloads_without_a_payment_pending_at_yookassa(
    app: Flask, client: FlaskClient, session: Session, status: AttemptStatus | None, with_id: bool
) -> None:
    if status is None:
        order = make_order(session)
        session.commit()
    else:
        order = _pending(session, status, with_id)
    page = _open(app, client, order)
    assert 'http-equiv="refresh"' not in page and "setTimeout" not in page


def test_the_invoice_of_a_paid_order_says_it_is_paid(app: Flask, client: FlaskClient, session: Session) -> None:
    order, _payment = _paid(session, datetime(2026, 12, 5, 9, 30, tzinfo=UTC))
    unpaid = make_order(session)
    unpaid.buyer_kind, unpaid.company_name, unpaid.inn = "company", "ООО «Ромашка»", "7707083893"
    session.commit()

    paid_invoice = _open(app, client, order, "/invoice")
    assert "Оплачен 05.12.2026, 12:30 (по Москве)" in paid_invoice
    assert "Товар зарезервирован до" not in paid_invoice
    assert "Товар зарезервирован до" in _open(app, client, unpaid, "/invoice")


def _mail(mailbox) -> tuple[str, str, str]:
    message = mailbox.messages[-1]
    text = _text(message.get_body(("plain",)).get_content())
    html = _text(message.get_body(("html",)).get_content())
    return str(message["Subject"]), text, html


def _queue(app: Flask, session: Session, kind: str, **ids: object) -> None:
    """Announce the e-mail as a use case does and commit: it is rendered into the outbox and sent at once."""
    with app.app_context():
        expect_mail(session, kind, **ids)
        session.commit()


def _russian(*texts: str) -> None:
    for text in texts:
        plain = re.sub(r"<[^>]+>", " ", text)  # HTML tags and attributes are not words
        assert not latin_words(plain), latin_words(plain)


def test_every_status_e_mail_is_russian_with_its_amounts(app: Flask, session: Session, mailbox) -> None:
    order, payment = _paid(session)
    session.commit()
    _queue(app, session, "order_placed", order_id=order.id)
    subject, text, html = _mail(mailbox)
    _russian(subject, text, html)
    assert "102 000,00 ₽" in text and "Страница заказа: http" in text
    assert "Адрес доставки: 191186, Санкт-Петербург, Невский пр., д. 1" in text  # the city once

    _queue(app, session, "order_status", order_id=order.id, event="paid")
    subject, text, html = _mail(mailbox)
    _russian(subject, text, html)
    assert subject == f"Заказ {order.number}: Оплачен" and "Мы получили вашу оплату: 102 000,00 ₽" in text

    with app.app_context():  # the status change itself announces its e-mail
        change_status(session, order, OrderStatus.CONFIRMED)
        session.commit()
    subject, text, html = _mail(mailbox)
    _russian(subject, text, html)
    assert "Поставщик подтвердил ваш заказ" in text and "Подтверждён поставщиком" in subject

    with app.app_context():
        change_status(session, order, OrderStatus.SHIPPED)
        change_status(session, order, OrderStatus.DELIVERED)
        session.commit()
    assert len(mailbox.messages) == 6  # «shipped», «delivered», then the company's closing documents (УПД)
    subject, text, html = _mail(mailbox)
    _russian(subject, text, html)
    assert subject == f"Закрывающие документы по заказу {order.number}" and "/upd.pdf?t=" in text
    delivered = mailbox.messages[-2]
    assert "Заказ доставлен" in _text(delivered.get_body(("plain",)).get_content())
    assert "подтвердите получение" in _text(delivered.get_body(("plain",)).get_content())

    with app.app_context():
        change_status(session, order, OrderStatus.COMPLETED)
        session.commit()
    _russian(*_mail(mailbox))
    assert len(mailbox.messages) == 7


def test_the_cancel_e_mail_gives_the_reason_and_what_is_being_returned(app: Flask, session: Session, mailbox) -> None:
    order, payment = _paid(session)
    _refund(session, order, payment, "17240.00")
    change_status(session, order, OrderStatus.CANCELED, note="buyer_asked")
    unpaid = make_order(session)
    change_status(session, unpaid, OrderStatus.CANCELED, note="Адрес вне зоны доставки")
    session.commit()
    _queue(app, session, "order_status", order_id=order.id, event="canceled")  # no request: jobs send these too
    subject, text, html = _mail(mailbox)
    _russian(subject, text, html)
    assert "Причина: по просьбе покупателя." in text and "Отменён" in subject
    assert "Оплаченные деньги (84 760,00 ₽) возвращаются" in text  # 102 000 − 17 240 already returned

    _queue(app, session, "order_status", order_id=unpaid.id, event="canceled")
    subject, text, html = _mail(mailbox)
    _russian(subject, text, html)
    assert "Причина: Адрес вне зоны доставки." in text and "возвращаются" not in text


def test_the_refund_e_mail_says_what_remains_or_that_it_is_all(app: Flask, session: Session, mailbox) -> None:
    order, payment = _paid(session)
    part = _refund(session, order, payment, "17240.00")
    session.commit()
    _queue(app, session, "order_refund", order_id=order.id, refund_id=part.id)
    subject, text, html = _mail(mailbox)
    _russian(subject, text, html)
    assert "Мы вернули 17 240,00 ₽" in text and "84 760,00 ₽" in text and "полностью" not in text

    rest = _refund(session, order, payment, "84760.00")
    session.commit()
    _queue(app, session, "order_refund", order_id=order.id, refund_id=rest.id)
    subject, text, html = _mail(mailbox)
    _russian(subject, text, html)
    assert "Мы вернули 84 760,00 ₽" in text and "полностью" in text


def test_the_latin_word_check_catches_english() -> None:
    assert latin_words("Delivery address: Москва") == ["Delivery", "address"]
    assert latin_words("Заказ MK-2026-000123: https://mostik.ru/orders/MK-2026-000123?t=abc, anna@example.ru") == []
