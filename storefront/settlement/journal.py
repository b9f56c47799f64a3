"""The one way into the ledger: ``post`` writes a transaction whose entries sum to zero, once per key.

There is no update or delete here or anywhere else: a wrong posting is corrected by a reversing one (``reverse``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.errors import ShopError
from storefront.settlement.models import Account, LedgerEntry, LedgerTransaction, TransactionKind


class Unbalanced(ShopError):
    """The entries of a transaction do not sum to zero (or are not whole kopecks): nothing is written."""


@dataclass(frozen=True)
class Leg:
    """One entry to post: signed kopecks (positive debit, negative credit)."""

    account: Account
    amount: int
    supplier_id: int | None = None
    order_line_id: int | None = None


def post(
    session: Session,
    kind: TransactionKind,
    key: str,
    legs: Sequence[Leg],
    *,
    order_id: int | None = None,
    reference: str = "",
    staff_id: int | None = None,
    at: datetime | None = None,
) -> LedgerTransaction | None:
    """Post one balanced transaction under the unique ``key``; None when that key is posted already (by an
    earlier call or a concurrent transaction, which then wins) or there is nothing to post. Raises
    ``Unbalanced`` before writing anything when the legs do not sum to zero. Flushes; the caller commits."""
    if any(isinstance(leg.amount, bool) or not isinstance(leg.amount, int) for leg in legs):
        raise Unbalanced(f"{key}: amounts must be whole kopecks")
    legs = [leg for leg in legs if leg.amount != 0]
    total = sum(leg.amount for leg in legs)
    if total != 0:
        raise Unbalanced(f"{key}: the entries sum to {total} kopecks, not 0")
    if not legs or session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.idempotence_key == key)):
        return None
    transaction = LedgerTransaction(
        kind=kind,
        order_id=order_id,
        reference=reference[:64],
        idempotence_key=key,
        created_at=at or utcnow(),
        staff_id=staff_id,
        entries=[
            LedgerEntry(
                account=leg.account,
                amount=leg.amount,
                supplier_id=leg.supplier_id,
                order_id=order_id,
                order_line_id=leg.order_line_id,
            )
            for leg in legs
        ],
    )
    try:
        with session.begin_nested():  # a concurrent post of the same key: its unique key wins, this one is dropped
            session.add(transaction)
            session.flush()
    except IntegrityError:
        if session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.idempotence_key == key)) is None:
            raise
        return None
    return transaction


def reverse(
    session: Session, original: LedgerTransaction, *, staff_id: int | None = None, at: datetime | None = None
) -> LedgerTransaction | None:
    """Post the mirror image of ``original`` (every entry negated), once: the correction of a wrong posting."""
    legs = [Leg(entry.account, -entry.amount, entry.supplier_id, entry.order_line_id) for entry in original.entries]
    return post(
        session,
        TransactionKind.REVERSAL,
        f"reverse:{original.id}",
        legs,
        order_id=original.order_id,
        reference=original.idempotence_key,
        staff_id=staff_id,
        at=at,
    )
