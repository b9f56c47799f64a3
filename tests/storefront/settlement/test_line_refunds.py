"""Refunds for chosen order lines (a dispute's) on a two-supplier order paid through the YooKassa stand-in: the ledger
takes them from those lines' suppliers only — before the confirmation (held money) and after it (the payable and,
by policy, the commission at the line's frozen rate) — the other supplier's payable is untouched, a full refund
still covers every line, and ``flask settlement check`` reconciles."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.staff.models import Role
from storefront.money import allocate_minor, share_minor
from storefront.order.models import Order, OrderLine, OrderStatus
from storefront.payment.errors import RefundError, RefundFailure
from storefront.payment.models import Refund
from storefront.payment.refunds import refund_order
from storefront.protection.models import Decision, Dispute, DisputeKind, DisputeStatus
from storefront.protection.policy import ProtectionPolicy
from storefront.protection.services import (
    DecisionDraft,
    DisputeDraft,
    DisputeRefused,
    Refusal,
    decide,
    open_dispute,
    settle,
)
from storefront.settlement.checks import check_ledger
from storefront.settlement.models import Account
from storefront.settlement.postings import OrderState, Part, PartState, refund_shares
from tests.storefront.settlement.helpers import balance, confirm, deliver, pay, supplied_order, suppliers
from tests.support.factories import make_order, make_staff
from tests.support.web import CSRF_RE, crm_login

POLICY = ProtectionPolicy()
REFUND_TOKEN_RE = re.compile(r'name="token"[^>]*value="([0-9a-f]{32})"')
#: On the confirmed order without refunds (test_settlement_ledger): the first supplier's payable (lines 1 and 3,
#: 8 %), the second's line (12 %) held 2 385,29 ₽ of which 286,23 ₽ commission.
FIRST_PAYABLE = 731_255
SECOND_HELD, SECOND_COMMISSION = 238_529, 28_623
OTHER_COMMISSION = 45_782 + 17_805
SHIPPING = 45_000


@pytest.fixture
def gateway(pay_app):
    return pay_app.extensions["payment_gateway"]


@pytest.fixture
def paid(session: Session, pay_app, gateway, standin, control):
    standin.auto_notify = False
    first, second = suppliers(session)
    order = pay(session, gateway, control, pay_app.config["PUBLIC_BASE_URL"], supplied_order(session, first, second))
    return order, first, second


def _line_of(order: Order, supplier_id: int) -> OrderLine:
    return next(line for line in order.lines if line.supplier_id == supplier_id)


def _dispute(session: Session, order: Order, line: OrderLine) -> Dispute:
    draft = DisputeDraft("defect", "Рюкзак порван по шву", {line.id: line.quantity})
    dispute = open_dispute(session, order, draft, POLICY)
    session.commit()
    return dispute


def _decide(session: Session, gateway, dispute: Dispute, decision: Decision, amount: Decimal | None = None):
    decide(session, dispute, DecisionDraft(decision, amount, "Возвращаем за рюкзак"), staff_id=1)
    session.commit()
    settled = settle(session, gateway, dispute)
    session.expire_all()
    return settled


def _reconciles(pay_app: Flask) -> None:
    result = pay_app.test_cli_runner().invoke(args=["settlement", "check"])
    assert result.exit_code == 0, result.output
    assert "Расчёты сходятся" in result.output, result.output


def test_a_dispute_refund_before_confirmation_comes_from_the_disputed_suppliers_held_money_only(
    session, pay_app, gateway, paid
) -> None:
    order, first, second = paid
    deliver(session, order)
    backpack = _line_of(order, second.id)
    dispute = _dispute(session, order, backpack)
    settled = _decide(session, gateway, dispute, Decision.PARTIAL_REFUND, Decimal("1000.00"))

    assert settled.refund is not None and settled.refund.status == "succeeded"
    assert settled.refund.line_ids == (backpack.id,)
    # The 54-FZ refund receipt lists the backpacks only.
    items = settled.refund.receipt["items"]
    assert {item["description"] for item in items} == {"Рюкзак городской"}
    assert sum(Decimal(item["amount"]["value"]) * Decimal(str(item["quantity"])) for item in items) == Decimal(
        "1000.00"
    )
    order = session.get(Order, order.id)
    assert order.status == OrderStatus.COMPLETED  # the decided inspection dispute completes the order

    # The first supplier gets exactly what they would without the dispute; the second's line lost 1 000 ₽ of held
    # money before the confirmation, so its commission (12 %) is taken from what is left.
    assert balance(session, Account.PAYABLE, supplier_id=first.id) == FIRST_PAYABLE
    left = SECOND_HELD - 100_000
    commission = share_minor(left, 1200, 10_000)
    assert balance(session, Account.PAYABLE, supplier_id=second.id) == left - commission
    assert balance(session, Account.COMMISSION) == OTHER_COMMISSION + commission
    assert balance(session, Account.SHIPPING) == SHIPPING
    assert balance(session, Account.HELD, order_id=order.id) == 0
    assert check_ledger(session).holds
    _reconciles(pay_app)


@pytest.mark.parametrize("returns_commission", [True, False], ids=["commission-back", "commission-kept"])
def test_a_quality_claim_refund_after_confirmation_reverses_only_that_suppliers_payable(
    session, pay_app, gateway, paid, returns_commission
) -> None:
    order, first, second = paid
    deliver(session, order)
    confirm(session, order)
    backpack = _line_of(order, second.id)
    dispute = _dispute(session, order, backpack)
    assert dispute.kind == DisputeKind.QUALITY
    pay_app.config["SETTLEMENT_REFUND_RETURNS_COMMISSION"] = returns_commission
    try:
        with pay_app.app_context():
            settled = _decide(session, gateway, dispute, Decision.PARTIAL_REFUND, Decimal("1000.00"))
    finally:
        pay_app.config["SETTLEMENT_REFUND_RETURNS_COMMISSION"] = True
    assert settled.refund is not None and settled.refund.line_ids == (backpack.id,)

    assert balance(session, Account.PAYABLE, supplier_id=first.id) == FIRST_PAYABLE
    # By policy the line's own 12 % goes back with it (in the proportion it was taken), or the platform keeps it.
    back = share_minor(100_000, SECOND_COMMISSION, SECOND_HELD) if returns_commission else 0
    assert balance(session, Account.PAYABLE, supplier_id=second.id) == SECOND_HELD - SECOND_COMMISSION - (
        100_000 - back
    )
    assert balance(session, Account.COMMISSION) == OTHER_COMMISSION + SECOND_COMMISSION - back
    assert balance(session, Account.SHIPPING) == SHIPPING
    assert check_ledger(session).holds
    _reconciles(pay_app)


def test_a_refund_for_one_suppliers_two_lines_is_split_by_line_amount_and_spares_the_rest(
    session, gateway, paid
) -> None:
    order, first, second = paid
    lines = [line for line in order.lines if line.supplier_id == first.id]
    held = [balance(session, Account.HELD, order_line_id=line.id) for line in lines]
    refund_order(session, gateway, order, Decimal("1000.01"), lines=[line.id for line in lines])
    session.expire_all()
    expected = allocate_minor(100_001, held)  # pro rata, the odd kopeck to the larger remainder
    for line, before, share in zip(lines, held, expected, strict=True):
        assert balance(session, Account.HELD, order_line_id=line.id) == before - share
    assert balance(session, Account.HELD, order_line_id=_line_of(order, second.id).id) == SECOND_HELD
    assert balance(session, Account.HELD, order_id=order.id) == 1_078_371 - 100_001
    assert check_ledger(session).holds


def test_refund_shares_targets_the_chosen_lines_with_deterministic_remainders() -> None:
    parts = [Part(1, 10, 800, 500), Part(2, 20, 1200, 500), Part(3, 10, 800, 500), Part(None, None, 0, 100)]
    state = OrderState()
    for part in parts:
        state.parts[part.line_id] = PartState(held=part.share)
    assert refund_shares(parts, state, 3, [1, 3]) == [2, 0, 1, 0]  # a tie: the earlier line takes the kopeck
    assert refund_shares(parts, state, 3, [3, 1]) == [2, 0, 1, 0]  # the order of the choice does not matter
    assert refund_shares(parts, state, 1000, [1, 3]) == [500, 0, 500, 0]
    assert refund_shares(parts, state, 3, []) == allocate_minor(3, [500, 500, 500, 100])  # the whole order
    # Only what is beyond the chosen line (600 of 1 100) goes over the others, by what they have.
    assert refund_shares(parts, state, 1100, [2]) == [273, 500, 273, 54]


def test_a_full_refund_decision_still_covers_every_line(session, gateway, paid) -> None:
    order, first, second = paid
    deliver(session, order)
    dispute = _dispute(session, order, _line_of(order, second.id))
    settled = _decide(session, gateway, dispute, Decision.FULL_REFUND)
    assert settled.refund is not None and settled.refund.line_ids == ()
    for account in (Account.HELD, Account.PAYABLE, Account.COMMISSION, Account.SHIPPING, Account.PROVIDER):
        assert balance(session, account) == 0, account
    assert check_ledger(session).holds


def test_a_dispute_over_some_pieces_refunds_at_most_those_pieces(session, gateway, paid) -> None:
    order, first, second = paid
    deliver(session, order)
    backpacks = _line_of(order, second.id)  # 2 pieces, 2 385,29 ₽ of the total after the discount
    dispute = open_dispute(session, order, DisputeDraft("defect", "Один рюкзак порван", {backpacks.id: 1}), POLICY)
    session.commit()
    with pytest.raises(DisputeRefused) as refused:
        decide(session, dispute, DecisionDraft(Decision.PARTIAL_REFUND, Decimal("1192.65")), staff_id=1)
    assert refused.value.code == Refusal.LINES_AMOUNT and refused.value.values["most"] == Decimal("1192.64")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Refund)) == 0

    settled = _decide(session, gateway, dispute, Decision.PARTIAL_REFUND, Decimal("1192.64"))
    assert settled.refund is not None and settled.refund.status == "succeeded"
    assert balance(session, Account.PAYABLE, supplier_id=first.id) == FIRST_PAYABLE
    assert check_ledger(session).holds


def test_a_partial_refund_beyond_the_disputed_lines_is_refused_in_russian_and_changes_nothing(
    session, pay_app, gateway, paid, standin
) -> None:
    order, first, second = paid
    deliver(session, order)
    dispute = _dispute(session, order, _line_of(order, second.id))
    with pytest.raises(DisputeRefused) as refused:
        decide(session, dispute, DecisionDraft(Decision.PARTIAL_REFUND, Decimal("2385.30")), staff_id=1)
    assert refused.value.code == Refusal.LINES_AMOUNT and refused.value.values["most"] == Decimal("2385.29")
    session.rollback()

    staff = make_staff(session, Role.OPERATOR)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, staff.email).status_code == 302
    page = client.get(f"/crm/disputes/{dispute.id}").get_data(as_text=True)
    response = client.post(
        f"/crm/disputes/{dispute.id}/decide",
        data={"csrf_token": CSRF_RE.search(page).group(1), "decision": "partial_refund", "amount": "3000"},
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True).replace("\u00a0", " ")
    assert "по спорным позициям" in text and "2 385,29" in text
    session.expire_all()
    assert session.get(Dispute, dispute.id).status == DisputeStatus.OPEN
    assert session.scalar(select(func.count(Refund.id))) == 0 and not standin.refunds


def test_a_refund_for_another_orders_line_is_refused_and_nothing_is_stored(session, gateway, paid) -> None:
    order, *_ = paid
    other = make_order(session, (("Чужой товар", 1, Decimal("10.00")),))
    session.commit()
    with pytest.raises(RefundError) as refused:
        refund_order(session, gateway, order, Decimal("1.00"), lines=[other.lines[0].id])
    assert refused.value.code == RefundFailure.BAD_LINES
    session.rollback()
    assert session.scalar(select(func.count(Refund.id))) == 0


def test_staff_refund_ticked_lines_from_the_order_page_and_only_their_supplier_bears_it(
    session, pay_app, gateway, paid
) -> None:
    order, first, second = paid
    deliver(session, order)
    confirm(session, order)
    backpack = _line_of(order, second.id)
    admin = make_staff(session, Role.ADMIN)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, admin.email).status_code == 302
    page = client.get(f"/crm/orders/{order.number}").get_data(as_text=True)
    assert 'id="refund-lines"' in page and "Только за эти позиции" in page
    form = {
        "csrf_token": CSRF_RE.search(page).group(1),
        "token": REFUND_TOKEN_RE.search(page).group(1),
        "mode": "partial",
        "reason": "Рюкзаки с браком",
        "lines": str(backpack.id),
    }
    too_much = client.post(f"/crm/orders/{order.number}/refund", data={**form, "amount": "2 385,30", "confirm": "1"})
    assert too_much.status_code == 400
    assert "По отмеченным позициям можно вернуть не больше 2 385,29" in too_much.get_data(as_text=True).replace(
        "\u00a0", " "
    )
    foreign = client.post(f"/crm/orders/{order.number}/refund", data={**form, "lines": "999999", "amount": "1"})
    assert foreign.status_code == 400 and "Отметьте позиции этого заказа." in foreign.get_data(as_text=True)
    assert session.scalar(select(func.count(Refund.id))) == 0

    check = client.post(f"/crm/orders/{order.number}/refund", data={**form, "mode": "full"})
    assert check.status_code == 200 and "Рюкзак городской" in check.get_data(as_text=True)  # the confirmation
    done = client.post(f"/crm/orders/{order.number}/refund", data={**form, "mode": "full", "confirm": "1"})
    assert done.status_code == 302
    session.expire_all()
    refund = session.scalar(select(Refund))
    assert refund.line_ids == (backpack.id,) and refund.amount == Decimal("2385.29")  # all that is left of it
    assert balance(session, Account.PAYABLE, supplier_id=first.id) == FIRST_PAYABLE
    assert balance(session, Account.PAYABLE, supplier_id=second.id) == 0  # its commission back too (the policy)
    assert check_ledger(session).holds


def test_the_refund_command_refunds_chosen_lines_up_to_what_is_left_of_them(session, pay_app, gateway, paid) -> None:
    """``flask payment refund --line N``: the same rule as the order page's ticked lines, in Russian."""
    order, first, second = paid
    deliver(session, order)
    confirm(session, order)
    backpack = _line_of(order, second.id)
    position = str([line.id for line in order.lines].index(backpack.id) + 1)
    runner = pay_app.test_cli_runner()

    def refund(*args: str):
        return runner.invoke(args=["payment", "refund", order.number, *args])

    missing = refund("--line", "9")
    zero = refund("--line", "0")
    too_much = refund("--line", position, "--amount", "2385,30")
    assert missing.exit_code == 1 and "нет позиции 9: позиции пронумерованы от 1 до 3" in missing.output
    assert zero.exit_code == 2  # click refuses a line number below 1 before anything is looked up
    assert too_much.exit_code == 1
    assert "По выбранным позициям можно вернуть не больше 2 385,29" in too_much.output.replace("\u00a0", " ")
    assert session.scalar(select(func.count(Refund.id))) == 0

    done = refund("--line", position)
    assert done.exit_code == 0, done.output
    assert "2 385,29" in done.output.replace("\u00a0", " ") and "За позиции: Рюкзак городской" in done.output
    session.expire_all()
    made = session.scalar(select(Refund))
    assert made.line_ids == (backpack.id,) and made.amount == Decimal("2385.29")  # all that is left of the line
    assert balance(session, Account.PAYABLE, supplier_id=first.id) == FIRST_PAYABLE
    assert balance(session, Account.PAYABLE, supplier_id=second.id) == 0
    assert check_ledger(session).holds

    again = refund("--line", position)
    assert again.exit_code == 1 and "По выбранным позициям возвращать уже нечего." in again.output
    unpaid = make_order(session)
    session.commit()
    never_paid = runner.invoke(args=["payment", "refund", unpaid.number, "--line", "1"])
    assert never_paid.exit_code == 1 and "нет успешной оплаты" in never_paid.output
    assert session.scalar(select(func.count(Refund.id))) == 1
