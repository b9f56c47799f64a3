"""A supplier's statement for a period (Moscow days): opening balance, goods confirmed, commission, refunds,
payouts, closing balance, and the transactions behind them. Balances are the supplier's payable (what the platform
owes them, kopecks); closing = opening + confirmed − commission − refunds − payouts ± corrections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.moscow import moscow_day_end, moscow_midnight
from storefront.order.models import Order
from storefront.settlement.models import Account, LedgerEntry, LedgerTransaction, TransactionKind


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    kind: TransactionKind
    order_number: str | None
    reference: str
    #: Kopecks: the goods' amount (confirmed, or given back by a refund: negative), the commission taken (a
    #: refund's returned commission: negative), the change of the supplier's payable.
    gross: int
    commission: int
    payable: int


@dataclass
class Statement:
    supplier_id: int
    start: date
    end: date
    opening: int = 0
    confirmed: int = 0
    commission: int = 0
    refunds: int = 0
    payouts: int = 0
    corrections: int = 0
    closing: int = 0
    lines: list[StatementLine] = field(default_factory=list)


@dataclass
class _Sums:
    at: datetime
    kind: TransactionKind
    number: str | None
    reference: str
    payable: int = 0
    commission: int = 0


def payable_at(session: Session, supplier_id: int, before: datetime) -> int:
    """The supplier's payable balance just before ``before`` (kopecks owed to them)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.supplier_id == supplier_id,
            LedgerEntry.account == Account.PAYABLE,
            LedgerTransaction.created_at < before,
        )
    )
    return -int(total or 0)


def supplier_statement(session: Session, supplier_id: int, start: date, end: date) -> Statement:
    """The statement of Moscow days ``start``…``end`` (both included): one query for the period's entries."""
    since, until = moscow_midnight(start), moscow_day_end(end)
    statement = Statement(supplier_id, start, end, opening=payable_at(session, supplier_id, since))
    keys = (
        LedgerTransaction.id,
        LedgerTransaction.created_at,
        LedgerTransaction.kind,
        LedgerTransaction.reference,
        Order.number,
        LedgerEntry.account,
    )
    rows = session.execute(
        select(*keys, func.sum(LedgerEntry.amount))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .outerjoin(Order, Order.id == LedgerTransaction.order_id)
        .where(
            LedgerEntry.supplier_id == supplier_id,
            LedgerEntry.account.in_((Account.PAYABLE, Account.COMMISSION)),
            LedgerTransaction.created_at >= since,
            LedgerTransaction.created_at < until,
        )
        .group_by(*keys)
        .order_by(LedgerTransaction.created_at, LedgerTransaction.id)
    )
    sums: dict[int, _Sums] = {}
    for transaction_id, at, kind, reference, number, account, amount in rows:
        line = sums.setdefault(transaction_id, _Sums(at, TransactionKind(kind), number, reference))
        if account == Account.PAYABLE:
            line.payable = -int(amount)
        else:
            line.commission = -int(amount)
    for line in sums.values():
        statement.lines.append(
            StatementLine(
                line.at,
                line.kind,
                line.number,
                line.reference,
                line.payable + line.commission,
                line.commission,
                line.payable,
            )
        )
        if line.kind == TransactionKind.CONFIRM:
            statement.confirmed += line.payable + line.commission
            statement.commission += line.commission
        elif line.kind == TransactionKind.REFUND:
            statement.refunds -= line.payable
        elif line.kind == TransactionKind.PAYOUT:
            statement.payouts -= line.payable
        else:
            statement.corrections += line.payable
    statement.closing = (
        statement.opening
        + statement.confirmed
        - statement.commission
        - statement.refunds
        - statement.payouts
        + statement.corrections
    )
    return statement


def account_totals(session: Session) -> dict[Account, int]:
    """Every account's balance now (kopecks; credit balances positive, provider cash as a debit): one GROUP BY."""
    rows = session.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.account))
    sums = {Account(account): int(total) for account, total in rows}
    return {account: sums.get(account, 0) * (1 if account == Account.PROVIDER else -1) for account in Account}
