"""What each fact about an order's money posts to the ledger, and ``settle_order``, which posts every fact of an
order not posted yet, oldest first (called inside the transaction that made the fact true; also the backfill).

An order's money is split into parts: one per order line and one for shipping. The goods' part of what the
buyer pays (the total less shipping, i.e. after the tier and promo discounts) is spread over the lines in
proportion to their amounts, to the kopeck by the largest-remainder method (``storefront.money.allocate_minor``);
shipping is its own part (the platform's once confirmed). Then:

- **capture** (a payment succeeded): provider cash +P; each part's «held for the buyer» −its share of P.
- **confirm** (the order completed: the buyer confirmed, or the inspection window ended): each line's held money
  h goes to the supplier's payable h − c and the platform's commission c = h × ``commission_bp`` / 10 000
  (half up); shipping's held money to the platform's shipping revenue.
- **refund** of R (``refund_shares``, the one allocation rule): R is spread over the parts in proportion to what
  each still has (held + confirmed, net of earlier refunds), largest remainder. A refund for chosen lines (a
  dispute's, ``refunds.lines``) is spread over those lines only, the same way: pro rata by line amount until a line
  has had refunds, never more than a line has, so another supplier never bears any of it (only what exceeds the
  chosen lines, which ``lines_refundable`` lets callers refuse beforehand, goes over the other parts). A part's
  share comes out of its held money first; what is left reverses the confirmed money: the supplier's payable,
  and — when ``SETTLEMENT_REFUND_RETURNS_COMMISSION`` is on — the commission in the same proportion as it was
  taken (cumulatively, so refunding a whole line returns its commission exactly, at the line's frozen
  ``commission_bp``); when off, the platform keeps its commission and the supplier's payable bears it all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.errors import ShopError
from storefront.money import allocate_minor, share_minor, to_minor
from storefront.order.models import Order, OrderStatus
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundLine, RefundState
from storefront.settlement.journal import Leg, post
from storefront.settlement.models import Account, LedgerEntry, LedgerTransaction, TransactionKind

BASIS_POINTS = 10_000
#: The accounts where an order's confirmed money sits (its «released» part).
RELEASED = (Account.PAYABLE, Account.COMMISSION, Account.SHIPPING)


class RefundExceedsLedger(ShopError):
    """A refund larger than what the ledger holds for the order (a capture was never posted)."""


@dataclass(frozen=True)
class Part:
    """A line of the order (``line_id``) or its shipping (``line_id`` None) and its share of the total."""

    line_id: int | None
    supplier_id: int | None
    commission_bp: int
    share: int


def order_parts(order: Order) -> list[Part]:
    """The lines' and shipping's shares of the order total, in kopecks (see the module's docstring)."""
    total = to_minor(order.total_amount)
    if not order.lines:
        return [Part(None, None, 0, total)]
    shipping = min(max(to_minor(order.shipping_amount), 0), total)
    shares = allocate_minor(total - shipping, [to_minor(line.line_amount) for line in order.lines])
    parts = [
        Part(line.id, line.supplier_id, line.commission_bp, share)
        for line, share in zip(order.lines, shares, strict=True)
    ]
    return [*parts, Part(None, None, 0, shipping)]


@dataclass
class PartState:
    """One part's money in the ledger, in kopecks (credit balances shown positive)."""

    held: int = 0
    released: int = 0
    #: Confirmed gross and its commission; reversed (by refunds) gross and commission.
    confirmed: int = 0
    commission: int = 0
    reversed: int = 0
    commission_reversed: int = 0


@dataclass
class OrderState:
    parts: dict[int | None, PartState] = field(default_factory=lambda: defaultdict(PartState))


def order_state(session: Session, order_id: int) -> OrderState:
    rows = session.execute(
        select(LedgerEntry.order_line_id, LedgerEntry.account, LedgerTransaction.kind, LedgerEntry.amount)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.order_id == order_id)
    )
    state = OrderState()
    for line_id, account, kind, amount in rows:
        part = state.parts[line_id]
        if account == Account.HELD:
            part.held -= amount
        elif account in RELEASED:
            part.released -= amount
            if kind == TransactionKind.CONFIRM:
                part.confirmed -= amount
                if account == Account.COMMISSION:
                    part.commission -= amount
            elif kind == TransactionKind.REFUND:
                part.reversed += amount
                if account == Account.COMMISSION:
                    part.commission_reversed += amount
    return state


def capture_legs(parts: list[Part], amount: int) -> list[Leg]:
    shares = allocate_minor(amount, [part.share for part in parts])
    legs = [Leg(Account.PROVIDER, amount)]
    legs += [
        Leg(Account.HELD, -share, part.supplier_id, part.line_id) for part, share in zip(parts, shares, strict=True)
    ]
    return legs


def confirm_legs(parts: list[Part], state: OrderState) -> list[Leg]:
    legs: list[Leg] = []
    for part in parts:
        held = state.parts[part.line_id].held
        if held <= 0:
            continue
        legs.append(Leg(Account.HELD, held, part.supplier_id, part.line_id))
        if part.line_id is None:
            legs.append(Leg(Account.SHIPPING, -held))
            continue
        commission = share_minor(held, part.commission_bp, BASIS_POINTS)
        legs.append(Leg(Account.PAYABLE, -(held - commission), part.supplier_id, part.line_id))
        legs.append(Leg(Account.COMMISSION, -commission, part.supplier_id, part.line_id))
    return legs


def _commission_back(state: PartState, gross: int, returns_commission: bool) -> int:
    """The commission a refund of ``gross`` confirmed kopecks of a line gives back: the same proportion of the
    gross as was taken, counted over all refunds of the line so the whole line returns all of it."""
    if not returns_commission or state.confirmed <= 0:
        return 0
    refunded = min(state.reversed + gross, state.confirmed)
    due = share_minor(refunded, state.commission, state.confirmed) - state.commission_reversed
    return max(0, min(due, state.commission - state.commission_reversed, gross))


def _available(state: OrderState, part: Part) -> int:
    """What a part still has in the ledger: held plus confirmed, net of earlier refunds (kopecks)."""
    return max(state.parts[part.line_id].held, 0) + max(state.parts[part.line_id].released, 0)


def refund_shares(parts: list[Part], state: OrderState, amount: int, lines: Collection[int] = ()) -> list[int]:
    """The refund's share of each part (kopecks, in the order of ``parts``): the one rule for allocating a refund.

    No ``lines``: over every part in proportion to what each still has, largest remainder (ties to the earlier
    part). With ``lines``: over those lines only, the same way, up to what they have; only an excess beyond them
    (a refund made bigger than the chosen lines) goes over the other parts by the same rule."""
    available = [_available(state, part) for part in parts]
    if amount > sum(available):
        raise RefundExceedsLedger(f"refund of {amount} kopecks, the ledger has {sum(available)}")
    chosen = set(lines)
    if not chosen:
        return allocate_minor(amount, available)
    targeted = [have if part.line_id in chosen else 0 for part, have in zip(parts, available, strict=True)]
    first = min(amount, sum(targeted))
    shares = allocate_minor(first, targeted) if any(targeted) else [0] * len(parts)
    if amount > first:
        rest = [have - taken for have, taken in zip(available, shares, strict=True)]
        shares = [taken + more for taken, more in zip(shares, allocate_minor(amount - first, rest), strict=True)]
    return shares


def lines_refundable(
    session: Session, order: Order, lines: Collection[int], pieces: Mapping[int, int] | None = None
) -> int:
    """What the ledger still has for the chosen lines of the order (kopecks): the most a refund for them takes
    without touching another line or shipping. ``pieces`` (line id → how many of its pieces, a dispute's): such a
    line gives at most those pieces' part of its share of the total, rounded down."""
    state = order_state(session, order.id)
    chosen = set(lines)
    ordered = {line.id: line.quantity for line in order.lines}
    most = 0
    for part in order_parts(order):
        if part.line_id not in chosen:
            continue
        have = _available(state, part)
        if pieces and part.line_id in pieces:
            have = min(have, part.share * pieces[part.line_id] // ordered[part.line_id])
        most += have
    return most


def refund_legs(
    parts: list[Part], state: OrderState, amount: int, returns_commission: bool, lines: Collection[int] = ()
) -> list[Leg]:
    legs = [Leg(Account.PROVIDER, -amount)]
    for part, share in zip(parts, refund_shares(parts, state, amount, lines), strict=True):
        if share == 0:
            continue
        part_state = state.parts[part.line_id]
        from_held = min(share, max(part_state.held, 0))
        if from_held:
            legs.append(Leg(Account.HELD, from_held, part.supplier_id, part.line_id))
        gross = share - from_held
        if not gross:
            continue
        if part.line_id is None:
            legs.append(Leg(Account.SHIPPING, gross))
            continue
        commission = _commission_back(part_state, gross, returns_commission)
        legs.append(Leg(Account.PAYABLE, gross - commission, part.supplier_id, part.line_id))
        legs.append(Leg(Account.COMMISSION, commission, part.supplier_id, part.line_id))
    return legs


@dataclass(frozen=True)
class _Fact:
    at: datetime
    rank: int  # captures, then confirmations, then refunds at the same moment
    key: str
    kind: TransactionKind
    reference: str
    amount: int = 0
    #: A refund's chosen order lines (none: the whole order).
    lines: tuple[int, ...] = ()


def _facts(session: Session, order: Order) -> list[_Fact]:
    facts: list[_Fact] = []
    payments = session.scalars(
        select(Payment).where(Payment.order_id == order.id, Payment.status == AttemptStatus.SUCCEEDED)
    )
    for payment in payments:
        at = payment.succeeded_at or payment.updated_at
        reference = payment.yookassa_payment_id or ""
        facts.append(
            _Fact(at, 0, f"capture:{payment.id}", TransactionKind.CAPTURE, reference, to_minor(payment.amount))
        )
    refunds = list(
        session.scalars(select(Refund).where(Refund.order_id == order.id, Refund.status == RefundState.SUCCEEDED))
    )
    chosen: dict[int, list[int]] = defaultdict(list)
    if refunds:
        rows = session.execute(
            select(RefundLine.refund_id, RefundLine.order_line_id).where(
                RefundLine.refund_id.in_([refund.id for refund in refunds])
            )
        )
        for refund_id, line_id in rows:
            chosen[refund_id].append(line_id)
    for refund in refunds:
        reference = refund.yookassa_refund_id or ""
        key = f"refund:{refund.id}"
        amount = to_minor(refund.amount)
        lines = tuple(sorted(chosen[refund.id]))
        facts.append(_Fact(refund.updated_at, 2, key, TransactionKind.REFUND, reference, amount, lines))
    if order.status == OrderStatus.COMPLETED:
        facts.append(
            _Fact(order.completed_at or utcnow(), 1, f"confirm:{order.id}", TransactionKind.CONFIRM, order.number or "")
        )
    return sorted(facts, key=lambda fact: (fact.at, fact.rank, fact.key))


def settle_order(session: Session, order_id: int, *, returns_commission: bool) -> list[LedgerTransaction]:
    """Post every money fact of the order the ledger lacks (captures, refunds, the confirmation), oldest first,
    each once (its key). Locks the order row first, so two transactions settling one order take turns.
    Flushes; the caller commits (with the fact itself)."""
    session.execute(select(Order.id).where(Order.id == order_id).with_for_update())
    order = session.get(Order, order_id)
    if order is None:
        return []
    posted = set(
        session.scalars(select(LedgerTransaction.idempotence_key).where(LedgerTransaction.order_id == order_id))
    )
    missing = [fact for fact in _facts(session, order) if fact.key not in posted]
    if not missing:
        return []
    parts = order_parts(order)
    made: list[LedgerTransaction] = []
    for fact in missing:
        if fact.kind == TransactionKind.CAPTURE:
            legs = capture_legs(parts, fact.amount)
        elif fact.kind == TransactionKind.CONFIRM:
            legs = confirm_legs(parts, order_state(session, order_id))
        else:
            legs = refund_legs(parts, order_state(session, order_id), fact.amount, returns_commission, fact.lines)
        transaction = post(session, fact.kind, fact.key, legs, order_id=order_id, reference=fact.reference, at=fact.at)
        if transaction is not None:
            made.append(transaction)
    return made
