"""Importing a bank statement, and the review queue's two decisions (match to an order by hand, «не наш платёж»).

``import_statement`` reads the whole file first (``parser.parse_statement``): a file with any bad line raises
``StatementRejected`` before anything is written. Then, in the caller's one transaction, every document paid to
our account is stored once (``uq_bank_documents_identity``: a document seen before counts as «already imported»)
and matched (``matching``). Imports take turns (a transaction-level advisory lock on PostgreSQL; SQLite has one
writer anyway), and a document inserted by a concurrent transaction is caught by the unique constraint in a
savepoint, so no document is stored, matched or paid twice.

The caller commits once (with the CRM's audit entry), then sends ``order_paid`` (``matching.announce_paid``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.banking.matching import OrderNotPayable, PaidOrder, judge, lock_order, order_numbers_in, pay_by_transfer
from storefront.banking.models import BankDocument, BankImport, DocumentState, ReviewReason
from storefront.banking.parser import StatementDocument, parse_statement
from storefront.db import rowcount, utcnow
from storefront.errors import ShopError
from storefront.order.models import Order

#: The advisory lock every import takes on PostgreSQL (any constant unique in the app).
IMPORT_LOCK = 1_016_001


@dataclass(frozen=True)
class ReviewItem:
    number: str
    amount: Decimal
    reason: ReviewReason


@dataclass
class ImportSummary:
    import_id: int
    #: Documents in the file, and those not paid to our account (skipped).
    documents: int = 0
    skipped: int = 0
    already: int = 0
    paid: list[PaidOrder] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.paid)


def _take_turns(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})


def _store(session: Session, import_id: int, item: StatementDocument) -> BankDocument | None:
    """The document, newly stored; None when it was imported before (by this or a concurrent transaction)."""
    identity = (
        BankDocument.doc_date == item.date,
        BankDocument.number == item.number,
        BankDocument.payer_account == item.payer_account,
        BankDocument.amount == item.amount,
    )
    if session.scalar(select(BankDocument.id).where(*identity)) is not None:
        return None
    document = BankDocument(
        import_id=import_id,
        doc_date=item.date,
        number=item.number,
        payer_account=item.payer_account,
        amount=item.amount,
        payer_name=item.payer_name,
        payer_inn=item.payer_inn,
        payer_kpp=item.payer_kpp,
        payee_account=item.payee_account,
        purpose=item.purpose,
        received_on=item.received_on,
        state=DocumentState.REVIEW,
        found_numbers=order_numbers_in(item.purpose),
    )
    try:
        with session.begin_nested():
            session.add(document)
            session.flush()
    except IntegrityError:
        return None
    return document


def _match(session: Session, document: BankDocument, summary: ImportSummary) -> None:
    verdict = judge(session, document)
    if verdict.reason is None and verdict.order is not None:
        try:
            summary.paid.append(pay_by_transfer(session, document, verdict.order))
            document.state = DocumentState.MATCHED
            document.reason = None
            session.flush()
            return
        except OrderNotPayable:
            verdict = type(verdict)(ReviewReason.NOT_PAYABLE, verdict.order)
    reason = verdict.reason or ReviewReason.NOT_PAYABLE
    document.state = DocumentState.REVIEW
    document.reason = reason
    document.order_id = verdict.order.id if verdict.order is not None else None
    session.flush()
    summary.review.append(ReviewItem(document.number, document.amount, reason))


def import_statement(
    session: Session, data: bytes, *, our_account: str, filename: str = "", staff_id: int | None = None
) -> ImportSummary:
    """Apply a statement file (see the module's docstring). Raises ``StatementRejected`` (nothing written).
    Flushes; the caller commits, then calls ``announce_paid(summary.paid)``."""
    statement = parse_statement(data)
    _take_turns(session)
    record = BankImport(
        filename=filename[:255], account=statement.account[:34], encoding=statement.encoding, staff_id=staff_id
    )
    session.add(record)
    session.flush()
    summary = ImportSummary(import_id=record.id, documents=len(statement.documents))
    # A fixed order (by identity) so concurrent imports meet the same documents in the same order.
    ordered = sorted(statement.documents, key=lambda d: (d.date, d.number, d.payer_account, d.amount))
    for item in ordered:
        if item.payee_account != our_account:
            summary.skipped += 1
            continue
        document = _store(session, record.id, item)
        if document is None:
            summary.already += 1
            continue
        _match(session, document, summary)
    record.documents = summary.documents
    record.skipped = summary.skipped
    record.already = summary.already
    record.matched = summary.matched
    record.to_review = len(summary.review)
    session.flush()
    return summary


# ----- the review queue -----------------------------------------------------------------------------------------


class ReviewError(ShopError):
    """A review decision refused; ``code`` says why (the CRM words it)."""

    ALREADY_RESOLVED = "already_resolved"
    NO_SUCH_ORDER = "no_such_order"
    NOT_PAYABLE = "not_payable"
    AMOUNT_DIFFERS = "amount_differs"
    SUM_DIFFERS = "sum_differs"

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


def review_queue(session: Session, limit: int = 200) -> list[BankDocument]:
    return list(
        session.scalars(
            select(BankDocument)
            .where(BankDocument.state == DocumentState.REVIEW)
            .order_by(BankDocument.doc_date, BankDocument.id)
            .limit(limit)
        )
    )


def review_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(BankDocument.state == DocumentState.REVIEW)) or 0


def recent_imports(session: Session, limit: int = 10) -> list[BankImport]:
    return list(session.scalars(select(BankImport).order_by(BankImport.id.desc()).limit(limit)))


def _resolve(session: Session, document: BankDocument, state: DocumentState, staff_id: int, note: str) -> None:
    """Move the document out of review (a conditional UPDATE: the first decision wins)."""
    moved = rowcount(
        session.execute(
            update(BankDocument)
            .where(BankDocument.id == document.id, BankDocument.state == DocumentState.REVIEW)
            .values(state=state, staff_id=staff_id, resolved_at=utcnow(), note=note[:500], updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    if moved != 1:
        raise ReviewError(ReviewError.ALREADY_RESOLVED)
    session.refresh(document)


def _lock_document(session: Session, document_id: int) -> BankDocument | None:
    return session.scalars(
        select(BankDocument)
        .where(BankDocument.id == document_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def match_by_hand(
    session: Session,
    document_id: int,
    order_number: str,
    *,
    staff_id: int,
    accept_difference: bool = False,
    note: str = "",
) -> list[PaidOrder]:
    """Staff say which order (or orders) the payment is for: it pays them (same path as an exact match).

    One order: an amount other than its total needs ``accept_difference``. Several orders (numbers separated by
    commas or spaces): the payment must equal their totals' sum exactly, and each order is paid its total.
    Flushes; the caller commits, then ``announce_paid``."""
    document = _lock_document(session, document_id)
    if document is None or document.state != DocumentState.REVIEW:
        raise ReviewError(ReviewError.ALREADY_RESOLVED)
    numbers = order_numbers_in(order_number) or [order_number.strip().upper()]
    orders: list[Order] = []
    for number in numbers:
        found = session.scalar(select(Order).where(Order.number == number))
        if found is None:
            raise ReviewError(ReviewError.NO_SUCH_ORDER, number=number)
        orders.append(lock_order(session, found.id))
    for order in orders:
        if not order.awaiting_payment:
            raise ReviewError(ReviewError.NOT_PAYABLE, number=order.number)
    total = sum((order.total_amount for order in orders), Decimal("0.00"))
    if len(orders) > 1 and document.amount != total:
        raise ReviewError(
            ReviewError.SUM_DIFFERS,
            numbers=", ".join(o.number or "" for o in orders),
            amount=document.amount,
            total=total,
        )
    if document.amount != total and not accept_difference:
        raise ReviewError(ReviewError.AMOUNT_DIFFERS, number=orders[0].number, amount=document.amount, total=total)
    paid: list[PaidOrder] = []
    try:
        for order in orders:
            if len(orders) == 1:
                paid.append(pay_by_transfer(session, document, order, staff_id=staff_id))
            else:
                paid.append(
                    pay_by_transfer(session, document, order, staff_id=staff_id, amount=order.total_amount, share=True)
                )
    except OrderNotPayable as error:
        raise ReviewError(ReviewError.NOT_PAYABLE, number=str(error)) from None
    _resolve(session, document, DocumentState.MATCHED_BY_HAND, staff_id, note)
    return paid


def mark_not_ours(session: Session, document_id: int, *, staff_id: int, note: str = "") -> BankDocument:
    """«Не наш платёж»: the document pays nothing and leaves the queue. Flushes; the caller commits."""
    document = _lock_document(session, document_id)
    if document is None or document.state != DocumentState.REVIEW:
        raise ReviewError(ReviewError.ALREADY_RESOLVED)
    _resolve(session, document, DocumentState.NOT_OURS, staff_id, note)
    return document
