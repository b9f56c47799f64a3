"""Finance and the dispute desk in the browser at 1366 and 390 px: an open payout batch is cancelled with a reason
(its page and the list show it cancelled, with the reason), and an operator's partial refund beyond the disputed
line of a two-supplier order is refused in Russian. Russian only, no sideways scroll. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.staff.models import Role
from storefront.db import utcnow
from storefront.fulfilment.models import Carrier, Shipment
from storefront.fulfilment.services import seed_carriers
from storefront.order.models import Order, OrderStatus
from storefront.order.services import change_status, confirm_receipt
from storefront.payment.models import Refund
from storefront.protection.models import DisputeStatus
from storefront.protection.policy import ProtectionPolicy
from storefront.protection.services import DisputeDraft, open_dispute
from storefront.settlement.models import PayoutBatch, PayoutStatus
from storefront.settlement.payouts import create_batch
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, sign_in
from tests.support.factories import create_supplier, make_order, make_staff, pay_through_standin

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "laptop": 1366}
#: Latin words that would betray an untranslated string (the page's own data is Cyrillic).
ENGLISH = re.compile(r"\b(batch|cancel|payout|reason|paid|open|refund|dispute)\b", re.IGNORECASE)


def _delivered(session, pay_app, standin) -> Order:
    """A two-supplier order paid at the stand-in and delivered just now."""
    first = create_supplier(session, name="ООО «Фабрика обуви Гуанчжоу»", commission_bp=800)
    second = create_supplier(session, name="ООО «Рюкзаки Иу»", commission_bp=1200)
    order = make_order(
        session,
        lines=(("Кроссовки мужские беговые", 4, Decimal("1500.00")), ("Рюкзак городской", 2, Decimal("1250.00"))),
    )
    for line, supplier in zip(order.lines, (first, second), strict=True):
        line.supplier_id, line.commission_bp = supplier.id, supplier.commission_bp
    order = pay_through_standin(session, pay_app, standin.pay, order)
    seed_carriers(session)
    cdek = session.scalars(select(Carrier).where(Carrier.code == "cdek")).one()
    session.add(Shipment(order_id=order.id, carrier_id=cdek.id, tracking_number="1234567890", shipped_at=utcnow()))
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        change_status(session, order, step)
    session.commit()
    return order


def _sign_in(browser, pay_app, width: int, email: str):
    context, crm = open_tab(browser, pay_app.config["LIVE_URL"], width)
    sign_in(crm, email)
    return context, crm


def _russian(crm) -> str:
    text = crm.inner_text("main").replace("\u00a0", " ")
    assert not ENGLISH.search(text), ENGLISH.search(text)
    return text


def test_finance_cancels_an_open_payout_batch(browser, shots, session, pay_app, standin) -> None:
    standin.auto_notify = False
    order = _delivered(session, pay_app, standin)
    with pay_app.app_context():
        confirm_receipt(session, order, order.buyer_id)
        session.commit()
    batch = create_batch(session, None)
    make_staff(session, Role.FINANCE, email="olga@mostik.local")
    session.commit()
    reason = "Банк вернул платёжное поручение: неверные реквизиты получателя"

    for name in ("laptop", "phone"):  # the phone cancels it, after both have seen it open
        context, crm = _sign_in(browser, pay_app, WIDTHS[name], "olga@mostik.local")
        crm.goto(f"/crm/settlement/payouts/{batch.id}")
        text = _russian(crm)
        assert "Ещё не оплачен." in text and "Отменить реестр" in text
        assert_no_sideways_scroll(crm)
        shots(crm, f"batch-open-{name}")
        if name == "phone":
            with crm.expect_navigation():  # no reason: refused, nothing changes
                crm.get_by_role("button", name="Отменить реестр").click()
            assert "Укажите, почему реестр отменяется." in _russian(crm)
            assert_no_sideways_scroll(crm)
            shots(crm, "batch-cancel-refused-phone")
            crm.fill("#reason", reason)
            with crm.expect_navigation():
                crm.get_by_role("button", name="Отменить реестр").click()
        context.close()

    session.expire_all()
    assert session.get(PayoutBatch, batch.id).status == PayoutStatus.CANCELED
    for name, width in WIDTHS.items():
        context, crm = _sign_in(browser, pay_app, width, "olga@mostik.local")
        crm.goto(f"/crm/settlement/payouts/{batch.id}")
        text = _russian(crm)
        assert "Отменён" in text and reason in text and "Отметить оплаченным" not in text
        assert_no_sideways_scroll(crm)
        shots(crm, f"batch-cancelled-{name}")
        crm.goto("/crm/settlement/payouts")
        text = _russian(crm)
        assert "отменён" in text and reason in text and "Создать реестр выплат" in text
        assert_no_sideways_scroll(crm)
        shots(crm, f"batches-list-{name}")
        context.close()


def test_an_operator_cannot_refund_beyond_the_disputed_pieces(browser, shots, session, pay_app, standin) -> None:
    standin.auto_notify = False
    order = _delivered(session, pay_app, standin)
    backpack = order.lines[1]
    dispute = open_dispute(
        session, order, DisputeDraft("defect", "Рюкзак порван по шву", {backpack.id: 1}), ProtectionPolicy()
    )
    make_staff(session, Role.OPERATOR, email="irina@mostik.local")
    session.commit()

    for name, width in WIDTHS.items():
        context, crm = _sign_in(browser, pay_app, width, "irina@mostik.local")
        crm.goto(f"/crm/disputes/{dispute.id}")
        crm.check("input[value='partial_refund']")
        crm.fill("#amount", "3 000,00")
        with crm.expect_navigation():
            crm.get_by_role("button", name="Сохранить решение").click()
        text = crm.inner_text("main").replace("\u00a0", " ")
        assert "Частичный возврат — по спорным позициям" in text and "1 250,00 ₽" in text  # 1 of 2 backpacks
        assert_no_sideways_scroll(crm)
        shots(crm, f"dispute-refund-refused-{name}")
        context.close()

    session.expire_all()
    assert session.scalar(select(Refund)) is None and not standin.refunds
    assert session.get(type(dispute), dispute.id).status == DisputeStatus.OPEN


def test_an_admin_refunds_one_ticked_line_from_the_order_page(browser, shots, session, pay_app, standin) -> None:
    standin.auto_notify = False
    order = _delivered(session, pay_app, standin)
    backpack = order.lines[1]
    make_staff(session, Role.ADMIN, email="anna@mostik.local")
    session.commit()

    for name, width in WIDTHS.items():
        context, crm = _sign_in(browser, pay_app, width, "anna@mostik.local")
        crm.goto(f"/crm/orders/{order.number}#refund")
        assert "Только за эти позиции" in crm.inner_text("main")
        assert_no_sideways_scroll(crm)
        shots(crm, f"order-refund-lines-{name}")
        if name == "laptop":
            crm.check("input[name='mode'][value='partial']")
            crm.fill("#amount", "500")
            crm.check(f"input[name='lines'][value='{backpack.id}']")
            crm.fill("#reason", "Один рюкзак с браком")
            with crm.expect_navigation():
                crm.get_by_role("button", name="Далее: проверить возврат").click()
            text = crm.inner_text("main").replace("\u00a0", " ")
            assert "Только за эти позиции" in text and "Рюкзак городской" in text and "500,00 ₽" in text
            assert_no_sideways_scroll(crm)
            shots(crm, "order-refund-confirm-laptop")
            with crm.expect_navigation():
                crm.get_by_role("button", name="Вернуть 500,00 ₽").click()
        context.close()
    # The payments table names the lines a refund was for.
    for name, width in WIDTHS.items():
        context, crm = _sign_in(browser, pay_app, width, "anna@mostik.local")
        crm.goto(f"/crm/orders/{order.number}#payments")
        assert "За позиции: Рюкзак городской" in crm.inner_text("#payments").replace("\u00a0", " ")
        assert_no_sideways_scroll(crm)
        shots(crm, f"order-refund-lines-done-{name}")
        context.close()

    session.expire_all()
    refund = session.scalar(select(Refund))
    assert refund is not None and refund.line_ids == (backpack.id,) and refund.amount == Decimal("500.00")
