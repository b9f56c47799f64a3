"""Disputes: open one (in the inspection window, or a quality claim after confirmation), write in its thread,
decide it, and settle the decision (the refund through ``storefront.payment.refunds.refund_order``, the order's
completion through ``storefront.order.services.confirm_receipt``). Plus the job that confirms orders whose
inspection window has ended.

The order row is the lock: opening a dispute sets ``orders.under_dispute`` by a conditional UPDATE (only while
the order is still ``delivered`` — or ``completed`` for a claim — and has no open dispute), and completion
requires it clear (``change_status``). So the auto-confirmation job and a dispute opened at the same moment
serialise on that row and exactly one wins, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.account.models import Buyer, Tier
from storefront.db import rowcount, utcnow
from storefront.errors import ShopError
from storefront.jobs import extension, periodic
from storefront.money import from_minor, quantize_kopecks
from storefront.order.models import MONEY_IN, Order, OrderStatus
from storefront.order.services import (
    AUTO_CONFIRMED,
    DISPUTE_DECIDED,
    TransitionNotAllowed,
    announce_status_change,
    confirm_receipt,
)
from storefront.outbox import expect_mail
from storefront.payment.gateway import PaymentGateway
from storefront.payment.models import Refund, RefundState
from storefront.payment.refunds import refund_order
from storefront.protection.models import (
    REFUNDING,
    Decision,
    Dispute,
    DisputeKind,
    DisputeLine,
    DisputeMessage,
    DisputePhoto,
    DisputeReason,
    DisputeStatus,
)
from storefront.protection.photos import MAX_PHOTOS, CheckedPhoto
from storefront.protection.policy import ProtectionPolicy, inspection_ends_at, order_protection
from storefront.settlement.postings import lines_refundable

logger = logging.getLogger(__name__)

#: The longest description or message a buyer or staff member may write.
MAX_TEXT = 5000
POLICY_EXTENSION = "protection_policy"


class Refusal(enum.StrEnum):
    NOT_PAID = "not_paid"
    WINDOW_CLOSED = "window_closed"
    ALREADY_OPEN = "already_open"
    BAD_REASON = "bad_reason"
    NO_DESCRIPTION = "no_description"
    NO_LINES = "no_lines"
    BAD_QUANTITY = "bad_quantity"
    TOO_MANY_PHOTOS = "too_many_photos"
    EMPTY_MESSAGE = "empty_message"
    CLOSED = "closed"
    ALREADY_DECIDED = "already_decided"
    BAD_AMOUNT = "bad_amount"
    NO_REASON = "no_reason"
    NOT_AWAITING_RETURN = "not_awaiting_return"
    #: A partial refund (or a return's stated amount) beyond what is left of the disputed lines.
    LINES_AMOUNT = "lines_amount"


class DisputeRefused(ShopError):
    """Nothing was changed; ``code`` says why (the views word it), ``values`` carry the numbers."""

    def __init__(self, code: Refusal, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class DisputeDraft:
    reason: str
    description: str
    #: order line id → pieces concerned.
    lines: Mapping[int, int]
    photos: Sequence[CheckedPhoto] = ()


def append_message(
    dispute: Dispute,
    body: str,
    photos: Sequence[CheckedPhoto],
    now: datetime,
    *,
    staff_id: int | None = None,
    author_name: str = "",
    internal: bool = False,
) -> DisputeMessage:
    """A message with its checked photos' rows, appended to the dispute's thread (the files are written apart)."""
    if len(photos) > MAX_PHOTOS:
        raise DisputeRefused(Refusal.TOO_MANY_PHOTOS, most=MAX_PHOTOS)
    message = DisputeMessage(
        staff_id=staff_id, author_name=author_name[:200], body=body, internal=internal, created_at=now
    )
    for photo in photos:
        message.photos.append(
            DisputePhoto(
                file_name=photo.file_name,
                content_type=photo.content_type,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.data),
                created_at=now,
            )
        )
    dispute.messages.append(message)
    return message


def _answer_due(session: Session, order: Order, policy: ProtectionPolicy, now: datetime) -> datetime:
    tier_code = None
    if order.buyer_id is not None:
        tier_code = session.scalar(
            select(Tier.code).join(Buyer, Buyer.tier_id == Tier.id).where(Buyer.id == order.buyer_id)
        )
    return now + timedelta(days=policy.answer_days_for(tier_code))


def open_dispute(
    session: Session, order: Order, draft: DisputeDraft, policy: ProtectionPolicy, now: datetime | None = None
) -> Dispute:
    """Open a dispute on ``order`` or raise ``DisputeRefused``. Flushes; the caller commits, then calls
    ``expect_dispute_mail``."""
    now = now or utcnow()
    if draft.reason not in set(DisputeReason):
        raise DisputeRefused(Refusal.BAD_REASON)
    description = draft.description.strip()
    if not description:
        raise DisputeRefused(Refusal.NO_DESCRIPTION)
    if len(description) > MAX_TEXT:
        raise DisputeRefused(Refusal.NO_DESCRIPTION, most=MAX_TEXT)
    ordered = {line.id: line.quantity for line in order.lines}
    chosen = {line_id: quantity for line_id, quantity in draft.lines.items() if quantity}
    if not chosen:
        raise DisputeRefused(Refusal.NO_LINES)
    for line_id, quantity in chosen.items():
        if line_id not in ordered or not 1 <= quantity <= ordered[line_id]:
            raise DisputeRefused(Refusal.BAD_QUANTITY, most=ordered.get(line_id, 0))
    if len(draft.photos) > MAX_PHOTOS:
        raise DisputeRefused(Refusal.TOO_MANY_PHOTOS, most=MAX_PHOTOS)
    if order.payment_status not in MONEY_IN:
        raise DisputeRefused(Refusal.NOT_PAID)
    if order.under_dispute:
        raise DisputeRefused(Refusal.ALREADY_OPEN)
    kind = order_protection(session, order, policy, now).may_open
    if kind is None:
        raise DisputeRefused(Refusal.WINDOW_CLOSED)
    status = OrderStatus.DELIVERED if kind == DisputeKind.INSPECTION else OrderStatus.COMPLETED
    taken = rowcount(
        session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == status, Order.under_dispute.is_(False))
            .where(Order.payment_status.in_(MONEY_IN))
            .values(under_dispute=True, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(order)
    if taken != 1:  # confirmed (by the job or the buyer) or disputed meanwhile
        raise DisputeRefused(Refusal.ALREADY_OPEN if order.under_dispute else Refusal.WINDOW_CLOSED)
    dispute = Dispute(
        order_id=order.id,
        kind=DisputeKind(kind),
        reason=DisputeReason(draft.reason),
        description=description,
        status=DisputeStatus.OPEN,
        opened_at=now,
        answer_due_at=_answer_due(session, order, policy, now),
    )
    for line_id, quantity in sorted(chosen.items()):
        dispute.lines.append(DisputeLine(order_line_id=line_id, quantity=quantity))
    append_message(dispute, description, draft.photos, now, author_name=order.contact_name)
    session.add(dispute)
    session.flush()
    return dispute


def get_dispute(session: Session, dispute_id: int) -> Dispute | None:
    return session.get(Dispute, dispute_id)


def order_disputes(session: Session, order_id: int) -> list[Dispute]:
    return list(session.scalars(select(Dispute).where(Dispute.order_id == order_id).order_by(Dispute.id)))


def add_message(
    session: Session,
    dispute: Dispute,
    body: str,
    photos: Sequence[CheckedPhoto] = (),
    *,
    staff_id: int | None = None,
    author_name: str = "",
    internal: bool = False,
    now: datetime | None = None,
) -> DisputeMessage:
    """A message in the thread (the buyer's when ``staff_id`` is None). A closed dispute takes internal notes
    only. The first staff reply the buyer can read answers the dispute (the SLA). Flushes."""
    now = now or utcnow()
    body = body.strip()
    if not body and not photos:
        raise DisputeRefused(Refusal.EMPTY_MESSAGE)
    if len(body) > MAX_TEXT:
        raise DisputeRefused(Refusal.EMPTY_MESSAGE, most=MAX_TEXT)
    if not dispute.is_open and not internal:
        raise DisputeRefused(Refusal.CLOSED)
    message = append_message(dispute, body, photos, now, staff_id=staff_id, author_name=author_name, internal=internal)
    if staff_id is not None and not internal and dispute.answered_at is None:
        dispute.answered_at = now
    session.flush()
    return message


@dataclass(frozen=True)
class DecisionDraft:
    decision: str
    #: The refund of a partial refund (or a return); None for a full refund or a rejection.
    amount: Decimal | None = None
    note: str = ""


def refundable(session: Session, order: Order) -> Decimal:
    """What is left to refund of the order: paid minus refunds done or under way."""
    reserved = session.scalars(
        select(Refund.amount).where(
            Refund.order_id == order.id,
            Refund.status.in_((RefundState.SUCCEEDED, RefundState.PENDING, RefundState.UNKNOWN)),
        )
    )
    return max(order.total_amount - sum(reserved, Decimal("0.00")), Decimal("0.00"))


def decide(
    session: Session, dispute: Dispute, draft: DecisionDraft, staff_id: int, now: datetime | None = None
) -> Dispute:
    """Record the staff decision once (a conditional UPDATE on the open dispute: of two staff deciding at once,
    one wins, the other gets ``ALREADY_DECIDED``). A return keeps the dispute open until the goods are back
    (``return_received``); every other decision closes it and frees the order. Flushes; the caller commits (with
    the audit entry), then ``settle`` makes the refund and completes the order."""
    now = now or utcnow()
    try:
        decision = Decision(draft.decision)
    except ValueError:
        raise DisputeRefused(Refusal.BAD_REASON) from None
    note = draft.note.strip()
    if len(note) > MAX_TEXT:
        raise DisputeRefused(Refusal.NO_REASON, most=MAX_TEXT)
    order = dispute.order
    amount: Decimal | None = None
    if decision == Decision.REJECTED and not note:
        raise DisputeRefused(Refusal.NO_REASON)
    if decision in (Decision.PARTIAL_REFUND, Decision.RETURN_REFUND):
        left = refundable(session, order)
        amount = draft.amount
        if decision == Decision.RETURN_REFUND and amount is None:
            amount = left
        if amount is None or amount != quantize_kopecks(amount) or amount <= 0 or amount > left:
            raise DisputeRefused(Refusal.BAD_AMOUNT, most=left)
        if draft.amount is not None:  # a stated amount is for the disputed pieces: it may not touch another line
            pieces = {line.order_line_id: line.quantity for line in dispute.lines}
            of_lines = min(from_minor(lines_refundable(session, order, disputed_lines(dispute), pieces)), left)
            if amount > of_lines:
                raise DisputeRefused(Refusal.LINES_AMOUNT, most=of_lines)
    if decision == Decision.FULL_REFUND:
        amount = refundable(session, order)
        if amount <= 0:
            raise DisputeRefused(Refusal.BAD_AMOUNT, most=amount)
    closes = decision != Decision.RETURN_REFUND
    values: dict[str, Any] = {
        "decision": decision,
        "refund_amount": amount,
        "decision_note": note,
        "decided_at": now,
        "decided_by": staff_id,
        "answered_at": dispute.answered_at or now,
        "status": DisputeStatus.CLOSED if closes else DisputeStatus.AWAITING_RETURN,
    }
    if closes:
        values["closed_at"] = now
    moved = rowcount(
        session.execute(
            update(Dispute)
            .where(Dispute.id == dispute.id, Dispute.status == DisputeStatus.OPEN)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(dispute)
    if moved != 1:
        raise DisputeRefused(Refusal.ALREADY_DECIDED)
    if closes:
        _free_order(session, order, now)
    session.flush()
    return dispute


def return_received(session: Session, dispute: Dispute, staff_id: int, now: datetime | None = None) -> Dispute:
    """The returned goods arrived: the dispute closes (``settle`` then refunds). Once only. Flushes."""
    now = now or utcnow()
    moved = rowcount(
        session.execute(
            update(Dispute)
            .where(Dispute.id == dispute.id, Dispute.status == DisputeStatus.AWAITING_RETURN)
            .values(status=DisputeStatus.CLOSED, closed_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(dispute)
    if moved != 1:
        raise DisputeRefused(Refusal.NOT_AWAITING_RETURN)
    _free_order(session, dispute.order, now)
    session.flush()
    return dispute


def _free_order(session: Session, order: Order, now: datetime) -> None:
    session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(under_dispute=False, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(order)


def disputed_lines(dispute: Dispute) -> tuple[int, ...]:
    """The ids of the order lines the dispute is about."""
    return tuple(sorted(line.order_line_id for line in dispute.lines))


def refund_lines(dispute: Dispute) -> tuple[int, ...]:
    """The lines a decision's refund is for, so the ledger takes it from their suppliers only: the disputed lines
    for a partial refund or a return; none (the whole order) for a full refund."""
    if dispute.decision in (Decision.PARTIAL_REFUND, Decision.RETURN_REFUND):
        return disputed_lines(dispute)
    return ()


def refund_key(dispute: Dispute) -> str:
    return f"dispute-{dispute.id}"


def refund_due(session: Session, dispute: Dispute) -> bool:
    """A closed refunding decision whose refund is not made yet, or not answered by the payment service."""
    if dispute.status != DisputeStatus.CLOSED or dispute.decision not in REFUNDING:
        return False
    state = session.scalar(select(Refund.status).where(Refund.idempotence_key == refund_key(dispute)))
    return state is None or state == RefundState.UNKNOWN


@dataclass(frozen=True)
class Settled:
    refund: Refund | None
    completed: bool
    previous_status: str


def settle(session: Session, gateway: PaymentGateway | None, dispute: Dispute, now: datetime | None = None) -> Settled:
    """After a decision has committed: make its refund (key ``dispute-<id>``: repeated, it never refunds twice;
    ``RefundError`` passes up, the decision stays and ``refund_due`` says the refund is still to be made), then
    complete an inspection dispute's order that is still delivered with money in. Commits (the refund service
    does); the caller announces the status change when ``completed``."""
    now = now or utcnow()
    refund = None
    if refund_due(session, dispute):
        if gateway is None:
            raise DisputeRefused(Refusal.BAD_AMOUNT, most=Decimal("0"))
        refund = refund_order(
            session,
            gateway,
            dispute.order,
            dispute.refund_amount,
            idempotence_key=refund_key(dispute),
            lines=refund_lines(dispute),
        )
        session.execute(update(Dispute).where(Dispute.id == dispute.id).values(refund_id=refund.id))
        session.commit()
        session.refresh(dispute)
    order = dispute.order
    session.refresh(order)
    previous = str(order.status)
    completed = False
    if (
        dispute.status == DisputeStatus.CLOSED
        and dispute.kind == DisputeKind.INSPECTION
        and order.status == OrderStatus.DELIVERED
        and order.payment_status in MONEY_IN
    ):
        try:
            confirm_receipt(session, order, order.buyer_id, how=DISPUTE_DECIDED, now=now, staff_id=dispute.decided_by)
        except TransitionNotAllowed:
            session.rollback()
        else:
            session.commit()
            completed = True
    return Settled(refund, completed, previous)


def expect_dispute_mail(session: Session, dispute_id: int, event: str, message_id: int | None = None) -> None:
    """Before the commit: ``opened``, ``buyer_message``, ``staff_message``, ``decided`` owe e-mails both ways (the
    buyer's rendered by ``storefront.protection.web``, the staff's by ``crm.disputes.receivers``)."""
    expect_mail(session, "dispute", dispute_id=dispute_id, event=event, message_id=message_id)


@periodic("confirm-inspected-orders", every=timedelta(hours=1), needs={"policy": extension(POLICY_EXTENSION)})
def confirm_inspected_orders(session: Session, now: datetime, *, policy: ProtectionPolicy) -> str:
    """Delivered orders whose inspection window has ended without a dispute confirm themselves, each exactly once
    (``confirm_receipt``'s conditional UPDATE), and the buyer gets the e-mail (``announce_status_change``). An open
    dispute holds the order; a refunded one has nothing left to confirm."""
    shortest = min(policy.express_days, policy.cargo_days)
    due = list(
        session.scalars(
            select(Order)
            .where(
                Order.status == OrderStatus.DELIVERED,
                Order.under_dispute.is_(False),
                Order.payment_status.in_(MONEY_IN),
                Order.delivered_at <= now - timedelta(days=shortest),
            )
            .order_by(Order.id)
            .limit(500)
        )
    )
    confirmed = 0
    for order in due:
        deadline = inspection_ends_at(session, order, policy)
        if deadline is None or deadline > now:
            continue
        try:
            confirm_receipt(session, order, order.buyer_id, how=AUTO_CONFIRMED, now=now)
        except TransitionNotAllowed:  # a dispute, the buyer or another run was first
            session.rollback()
            continue
        session.commit()
        announce_status_change(order, OrderStatus.DELIVERED)
        confirmed += 1
    if confirmed:
        logger.info("confirmed %s orders after their inspection window", confirmed)
    return f"confirmed {confirmed}"
