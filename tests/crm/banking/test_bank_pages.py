"""The CRM's bank statement pages (finance and admin): upload in either encoding with the summary, the same file
again («Уже загружено»), malformed and wrong files refused with Russian messages and nothing applied, a file over
the size limit refused before it is read, the review queue's hand match and «не наш платёж», both audited."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.models import AuditEntry
from crm.staff.models import Role
from storefront.banking.models import BankDocument, BankImport, DocumentState
from storefront.order.models import Order, PaymentStatus
from storefront.settlement.checks import check_ledger
from tests.storefront.banking.helpers import company_order
from tests.storefront.banking.statements import Doc, statement, statement_text
from tests.support.factories import make_staff
from tests.support.web import CSRF_RE, crm_login


@pytest.fixture
def finance(app: Flask, session: Session) -> FlaskClient:
    make_staff(session, Role.FINANCE)
    session.commit()
    client = app.test_client()
    assert crm_login(client, "finance@mostik.local").status_code == 302
    return client


def _text(response) -> str:
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def _csrf(client: FlaskClient, url: str = "/crm/bank/") -> str:
    match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert match
    return match.group(1)


def _upload(client: FlaskClient, data: bytes, name: str = "kl_to_1c.txt"):
    return client.post(
        "/crm/bank/import",
        data={"csrf_token": _csrf(client), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _audits(session: Session, action: AuditAction) -> int:
    return session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8"])
def test_finance_uploads_a_statement_and_sees_the_summary_then_the_same_file_again(
    finance: FlaskClient, session: Session, encoding: str
) -> None:
    paid, short = company_order(session, "a@example.ru"), company_order(session, "b@example.ru")
    session.commit()
    data = statement(
        [
            Doc("11", paid.total_amount, f"Оплата заказа {paid.number}"),
            Doc("12", short.total_amount - 100, f"Оплата заказа {short.number}"),
        ],
        encoding,
    )
    response = _upload(finance, data)
    page = _text(response)
    assert response.status_code == 200, page
    assert "Сопоставлено и оплачено: 1" in page and paid.number in page
    assert "На разбор: 1" in page and "меньше суммы заказа" in page
    assert "Уже загружено: 0" in page
    session.expire_all()
    assert session.get(Order, paid.id).payment_status == PaymentStatus.PAID
    assert _audits(session, AuditAction.BANK_STATEMENT_IMPORT) == 1

    again = _text(_upload(finance, data))
    assert "Сопоставлено и оплачено: 0" in again and "Уже загружено: 2" in again
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(BankDocument)) == 2
    assert check_ledger(session).holds


def test_a_malformed_statement_is_refused_by_line_and_nothing_applied(finance: FlaskClient, session: Session) -> None:
    order = company_order(session)
    session.commit()
    text = statement_text([Doc("1", order.total_amount, f"Оплата {order.number}")]).replace(
        "Дата=04.12.2026", "Дата=4 декабря"
    )
    line = text.split("\r\n").index("Дата=4 декабря") + 1
    response = _upload(finance, text.encode("cp1251"))
    page = _text(response)
    assert response.status_code == 400
    assert "Ничего не загружено" in page
    assert f"Строка {line}: Дата «4 декабря» — не дата вида 09.12.2026" in page
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(BankImport)) == 0
    assert session.get(Order, order.id).payment_status == PaymentStatus.UNPAID


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "statement.pdf", "это не файл обмена 1С с клиент-банком"),
        ("трек-номер;событие;время\r\n".encode("cp1251"), "tracking.csv", "это не файл обмена 1С с клиент-банком"),
        (b"", "empty.txt", "Строка 1: файл пуст"),
    ],
)
def test_wrong_files_get_a_russian_message(finance: FlaskClient, session: Session, data, name, words) -> None:
    response = _upload(finance, data, name)
    assert response.status_code == 400
    assert words in _text(response)
    assert session.scalar(select(func.count()).select_from(BankImport)) == 0


def test_a_file_over_the_limit_is_refused_before_it_is_read(app: Flask, finance: FlaskClient, session: Session) -> None:
    app.config["BANK_STATEMENT_MAX_BYTES"] = 2_000
    try:
        token = _csrf(finance)
        response = finance.post(
            "/crm/bank/import",
            data={"csrf_token": token, "file": (io.BytesIO(b"1CClientBankExchange\r\n" + b"x" * 100_000), "big.txt")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["BANK_STATEMENT_MAX_BYTES"] = 5_000_000
    assert response.status_code == 413
    assert "Файл больше 0.002 МБ, а выписка гораздо меньше" in _text(response)
    assert session.scalar(select(func.count()).select_from(BankImport)) == 0


def test_staff_match_a_review_item_by_hand_and_mark_another_not_ours(finance: FlaskClient, session: Session) -> None:
    order = company_order(session)
    session.commit()
    _upload(
        finance,
        statement(
            [
                Doc("21", order.total_amount - Decimal("0.50"), "Оплата по счёту от 01.12"),
                Doc("22", "700.00", "Возврат депозита", payer_inn="7801123455"),
            ]
        ),
    )
    first, second = session.scalars(select(BankDocument).order_by(BankDocument.number)).all()
    url = f"/crm/bank/payments/{first.id}"
    page = _text(finance.get(url))
    assert "в назначении нет нашего заказа" in page
    token = _csrf(finance, url)
    refused = finance.post(url + "/match", data={"csrf_token": token, "order_number": order.number})
    assert refused.status_code == 400
    assert "не равен сумме заказа" in _text(refused)
    unknown = finance.post(url + "/match", data={"csrf_token": token, "order_number": "MK-2026-999999"})
    assert unknown.status_code == 400 and "Заказа MK-2026-999999 нет." in _text(unknown)
    done = finance.post(
        url + "/match",
        data={"csrf_token": token, "order_number": order.number, "accept_difference": "y", "note": "Недоплата 50 коп."},
    )
    assert done.status_code == 302
    assert "заказ " + order.number + " оплачен" in _text(finance.get("/crm/bank/"))
    again = finance.post(
        url + "/match", data={"csrf_token": token, "order_number": order.number, "accept_difference": "y"}
    )
    assert again.status_code == 409 and "уже разобран" in _text(again)

    second_url = f"/crm/bank/payments/{second.id}"
    assert finance.post(second_url + "/not-ours", data={"csrf_token": token, "note": ""}).status_code == 400
    assert finance.post(second_url + "/not-ours", data={"csrf_token": token, "note": "Вернули"}).status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).payment_status == PaymentStatus.PAID
    assert session.get(BankDocument, first.id).state == DocumentState.MATCHED_BY_HAND
    assert session.get(BankDocument, second.id).state == DocumentState.NOT_OURS
    assert _audits(session, AuditAction.BANK_PAYMENT_MATCH) == 1
    assert _audits(session, AuditAction.BANK_PAYMENT_NOT_OURS) == 1
    assert "Разбирать нечего." in _text(finance.get("/crm/bank/"))
    assert check_ledger(session).holds


@pytest.mark.parametrize("role", [Role.MARKETER, Role.OPERATOR, Role.ACCOUNT_MANAGER])
def test_other_roles_cannot_open_or_upload(app: Flask, session: Session, role: Role) -> None:
    make_staff(session, role)
    session.commit()
    client = app.test_client()
    crm_login(client, f"{role}@mostik.local")
    assert client.get("/crm/bank/").status_code == 403
    assert "/crm/bank/" not in client.get("/crm/").get_data(as_text=True)


def test_staff_split_one_payment_over_two_orders(finance: FlaskClient, session: Session) -> None:
    first, second = company_order(session, "one@example.ru"), company_order(session, "two@example.ru")
    session.commit()
    both = first.total_amount + second.total_amount
    _upload(finance, statement([Doc("31", both, f"Оплата счетов {first.number} и {second.number}")]))
    document = session.scalars(select(BankDocument)).one()
    url = f"/crm/bank/payments/{document.id}"
    assert "в назначении несколько заказов" in _text(finance.get(url))
    token = _csrf(finance, url)
    done = finance.post(url + "/match", data={"csrf_token": token, "order_number": f"{first.number}, {second.number}"})
    assert done.status_code == 302
    assert f"заказы {first.number}, {second.number} оплачены" in _text(finance.get("/crm/bank/"))
    page = re.sub(r"<[^>]+>", "", _text(finance.get(url)))
    assert f"{first.number} — 4 449,80 ₽" in page and f"{second.number} — 4 449,80 ₽" in page
    session.expire_all()
    assert {session.get(Order, o.id).payment_status for o in (first, second)} == {PaymentStatus.PAID}
    assert check_ledger(session).holds
