"""Payout batches: the supplier payables due, gathered for one bank run, then marked paid with the bank's reference
(which posts payable → paid out, once).

One batch is open at a time (a partial unique index): two people creating a batch at the same moment make one,
and an open batch's amounts cannot be gathered twice. Marking paid is one conditional UPDATE (open → paid), so a
double click or two people pay it once; the posting's key (``payout:<batch id>``) is the second guard. Cancelling
is the same conditional UPDATE (open → canceled; it posts nothing, as an open batch has posted nothing), so of a
cancel and a mark-paid at the same moment exactly one wins; the cancelled batch's payables are due again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from storefront.catalog.models import Supplier
from storefront.db import rowcount, utcnow
from storefront.errors import ShopError
from storefront.settlement.journal import Leg, post
from storefront.settlement.models import Account, LedgerEntry, PayoutBatch, PayoutLine, PayoutStatus, TransactionKind


class PayoutRefused(ShopError):
    """Why a batch cannot be made, paid or cancelled: ``reason`` is one of ``nothing_due``, ``open_batch``,
    ``already_paid``, ``already_canceled``, ``no_reference``, ``no_reason``."""

    def __init__(self, reason: str, batch_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.batch_id = batch_id


@dataclass(frozen=True)
class Due:
    supplier_id: int
    name: str
    #: Kopecks: the supplier's payable balance, and the part of it not in an open batch.
    balance: int
    due: int


def payable_balances(session: Session) -> dict[int, int]:
    """What the platform owes each supplier now (kopecks; negative: the supplier owes, after late refunds)."""
    rows = session.execute(
        select(LedgerEntry.supplier_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.account == Account.PAYABLE, LedgerEntry.supplier_id.is_not(None))
        .group_by(LedgerEntry.supplier_id)
    )
    return {supplier_id: -int(total) for supplier_id, total in rows if supplier_id is not None}


def open_batch(session: Session) -> PayoutBatch | None:
    return session.scalar(select(PayoutBatch).where(PayoutBatch.status == PayoutStatus.OPEN))


def dues(session: Session) -> list[Due]:
    """Every supplier with a payable balance, by name; ``due``: the positive balance not in the open batch."""
    balances = payable_balances(session)
    batch = open_batch(session)
    in_batch = {line.supplier_id: line.amount for line in batch.lines} if batch else {}
    found = session.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(list(balances))))
    names = {supplier_id: name for supplier_id, name in found}
    rows = [
        Due(
            supplier_id,
            names.get(supplier_id, str(supplier_id)),
            balance,
            max(balance - in_batch.get(supplier_id, 0), 0),
        )
        for supplier_id, balance in balances.items()
        if balance != 0
    ]
    return sorted(rows, key=lambda row: (row.name, row.supplier_id))


def create_batch(session: Session, staff_id: int | None, now: datetime | None = None) -> PayoutBatch:
    """A batch of every positive supplier payable. Raises ``PayoutRefused`` (``open_batch``: pay or wait for the
    open one first; ``nothing_due``). Flushes; the caller commits (with the audit entry)."""
    current = open_batch(session)
    if current is not None:
        raise PayoutRefused("open_batch", current.id)
    due = [(supplier_id, amount) for supplier_id, amount in sorted(payable_balances(session).items()) if amount > 0]
    if not due:
        raise PayoutRefused("nothing_due")
    batch = PayoutBatch(
        status=PayoutStatus.OPEN,
        total=sum(amount for _, amount in due),
        created_at=now or utcnow(),
        created_by=staff_id,
        lines=[PayoutLine(supplier_id=supplier_id, amount=amount) for supplier_id, amount in due],
    )
    try:
        with session.begin_nested():
            session.add(batch)
            session.flush()
    except IntegrityError:  # someone opened one at the same moment
        current = open_batch(session)
        raise PayoutRefused("open_batch", current.id if current else None) from None
    return batch


def get_batch(session: Session, batch_id: int) -> PayoutBatch | None:
    return session.scalar(
        select(PayoutBatch).where(PayoutBatch.id == batch_id).options(selectinload(PayoutBatch.lines))
    )


def mark_paid(
    session: Session, batch: PayoutBatch, bank_reference: str, staff_id: int | None, now: datetime | None = None
) -> PayoutBatch:
    """Mark the open batch paid with the bank's reference and post payable → paid out for each supplier, once.
    Raises ``PayoutRefused`` (``no_reference``, ``already_paid``). Flushes; the caller commits."""
    reference = " ".join(bank_reference.split())
    if not reference or len(reference) > 64:
        raise PayoutRefused("no_reference", batch.id)
    now = now or utcnow()
    moved = rowcount(
        session.execute(
            update(PayoutBatch)
            .where(PayoutBatch.id == batch.id, PayoutBatch.status == PayoutStatus.OPEN)
            .values(status=PayoutStatus.PAID, paid_at=now, paid_by=staff_id, bank_reference=reference)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(batch)
    if moved != 1:
        raise PayoutRefused(_closed(batch), batch.id)
    legs: list[Leg] = []
    for line in batch.lines:
        legs += [
            Leg(Account.PAYABLE, line.amount, line.supplier_id),
            Leg(Account.PAID_OUT, -line.amount, line.supplier_id),
        ]
    post(session, TransactionKind.PAYOUT, f"payout:{batch.id}", legs, reference=reference, staff_id=staff_id, at=now)
    return batch


#: The longest reason for cancelling a batch.
MAX_CANCEL_REASON = 200


def _closed(batch: PayoutBatch) -> str:
    return "already_canceled" if batch.status == PayoutStatus.CANCELED else "already_paid"


def cancel_batch(
    session: Session, batch: PayoutBatch, reason: str, staff_id: int | None, now: datetime | None = None
) -> PayoutBatch:
    """Cancel the open batch with a reason: its payables are due again (a new batch gathers them). Posts nothing.
    Raises ``PayoutRefused`` (``no_reason``, ``already_paid``, ``already_canceled``) and changes nothing. Flushes;
    the caller commits (with the audit entry)."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_CANCEL_REASON:
        raise PayoutRefused("no_reason", batch.id)
    moved = rowcount(
        session.execute(
            update(PayoutBatch)
            .where(PayoutBatch.id == batch.id, PayoutBatch.status == PayoutStatus.OPEN)
            .values(
                status=PayoutStatus.CANCELED, canceled_at=now or utcnow(), canceled_by=staff_id, cancel_reason=reason
            )
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(batch)
    if moved != 1:
        raise PayoutRefused(_closed(batch), batch.id)
    return batch


def batches(session: Session, limit: int = 100) -> list[PayoutBatch]:
    return list(session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(limit)))
