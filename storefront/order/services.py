"""Order use cases: create with reserved stock, change the fulfilment or the payment status, expire unpaid
orders, confirm receipt.

No Flask here. Stock is reserved with one conditional UPDATE per product (``stock = stock - q
WHERE stock >= q``), in product id order so concurrent orders lock rows in the same order: two
buyers racing for the last units cannot both get them, on PostgreSQL or SQLite.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from storefront.catalog.models import Product, ProductStatus
from storefront.db import rowcount, utcnow
from storefront.errors import NotFound, ShopError
from storefront.events import order_completed, order_delivered, order_status_changed
from storefront.jobs import periodic
from storefront.order.models import (
    MONEY_IN,
    NEEDS_PAYMENT,
    PAYMENT_TRANSITIONS,
    TRANSITIONS,
    HistoryKind,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
)
from storefront.order.totals import Totals
from storefront.outbox import expect_mail
from storefront.promo.services import release_promo_use

logger = logging.getLogger(__name__)
#: Fulfilment statuses the buyer gets an e-mail about (placement, payment and refunds have their own).
EMAILED_STATUSES = frozenset({"confirmed", "shipped", "delivered", "completed", "canceled"})
ACCESS_SALT = "mostik-order-access"


class OutOfStock(ShopError):
    def __init__(self, product_id: int, title: str, available: int) -> None:
        super().__init__(product_id)
        self.product_id = product_id
        self.title = title
        self.available = available


class TransitionNotAllowed(ShopError):
    """The order is not in a status the wanted one may follow (``already`` when it is there already: a second
    click, or another staff member was quicker)."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"{current} -> {wanted}")
        self.current = current
        self.wanted = wanted

    @property
    def already(self) -> bool:
        return self.current == self.wanted


class TooManyUnpaidOrders(ShopError):
    """The client already holds as many unpaid orders as ``UNPAID_ORDERS_PER_CLIENT`` allows."""

    def __init__(self, cap: int) -> None:
        super().__init__(cap)
        self.cap = cap


class NotPaidYet(TransitionNotAllowed):
    """Fulfilment past «new» waits for the money."""


@dataclass(frozen=True)
class LineDraft:
    product_id: int
    supplier_id: int
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    commission_bp: int
    weight_grams: int

    @property
    def line_amount(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class OrderDraft:
    """Everything an order is made of; checkout builds it from the cart and the form."""

    placement_token: str
    buyer_id: int | None
    email: str
    phone: str
    contact_name: str
    region_code: str
    city: str
    postcode: str
    street: str
    recipient: str
    recipient_phone: str
    shipping_method_id: int
    shipping_method_name: str
    shipping_min_days: int
    shipping_max_days: int
    totals: Totals
    lines: Sequence[LineDraft]
    company: dict[str, str | None] = field(default_factory=dict)
    tier_code: str | None = None
    tier_discount_bp: int = 0
    promo_code: str | None = None
    fx_rates: dict[str, Any] = field(default_factory=dict)
    campaign_id: int | None = None
    client_ip: str | None = None
    #: ``holds.PaymentMethod``: card (online) or bank_transfer (against the invoice).
    payment_method: str = "card"


def format_number(order_id: int, year: int) -> str:
    """MK-2026-004217: a prefix, the year, and the id padded to six digits."""
    return f"MK-{year}-{order_id:06d}"


def find_order_by_token(session: Session, token: str) -> Order | None:
    return session.scalars(select(Order).where(Order.placement_token == token)).first()


def get_order_by_number(session: Session, number: str) -> Order:
    order = session.scalars(select(Order).where(Order.number == number)).first()
    if order is None:
        raise NotFound(number)
    return order


def list_buyer_orders(session: Session, buyer_id: int) -> list[Order]:
    return list(session.scalars(select(Order).where(Order.buyer_id == buyer_id).order_by(Order.id.desc())))


def _record(
    order: Order,
    from_status: str | None,
    to_status: str,
    now: datetime,
    *,
    kind: HistoryKind = HistoryKind.FULFILMENT,
    note: str = "",
    reference: str = "",
    amount: Decimal | None = None,
    staff_id: int | None = None,
) -> None:
    order.history.append(
        OrderStatusChange(
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            note=note,
            reference=reference,
            amount=amount,
            staff_id=staff_id,
            created_at=now,
        )
    )


def reserve_stock(session: Session, lines: Sequence[LineDraft]) -> None:
    """Take the ordered quantities out of stock, or raise ``OutOfStock`` (the caller rolls back). Flushes."""
    for line in sorted(lines, key=lambda item: item.product_id):
        taken = rowcount(
            session.execute(
                update(Product)
                .where(Product.id == line.product_id)
                .where(Product.status == ProductStatus.ACTIVE)
                .where(Product.stock.is_(None) | (Product.stock >= line.quantity))  # unknown stock: not limited
                .values(stock=Product.stock - line.quantity)
                .execution_options(synchronize_session=False)
            )
        )
        if taken != 1:
            available = session.scalar(select(Product.stock).where(Product.id == line.product_id)) or 0
            raise OutOfStock(line.product_id, line.title, available)


def release_stock(session: Session, order: Order) -> None:
    for line in sorted(order.lines, key=lambda item: item.product_id or 0):
        if line.product_id is not None:
            session.execute(
                update(Product)
                .where(Product.id == line.product_id)
                .values(stock=Product.stock + line.quantity)
                .execution_options(synchronize_session=False)
            )


def _unpaid_new() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Placed and not paid: the orders that hold stock until their ``expires_at``."""
    return Order.status == OrderStatus.NEW, Order.payment_status == PaymentStatus.UNPAID


def open_unpaid_orders(
    session: Session, now: datetime, *, email: str, buyer_id: int | None, client_ip: str | None
) -> int:
    """Orders still holding stock unpaid (new, unpaid, hold not over) placed with this e-mail, by this account or
    from this client address."""
    same_client = [Order.email == email.strip().lower()]  # stored as the form normalised it
    if buyer_id is not None:
        same_client.append(Order.buyer_id == buyer_id)
    if client_ip:
        same_client.append(Order.client_ip == client_ip)
    return (
        session.scalar(
            select(func.count(Order.id)).where(
                *_unpaid_new(),
                Order.expires_at > now,
                or_(*same_client),
            )
        )
        or 0
    )


def check_unpaid_cap(session: Session, draft: OrderDraft, now: datetime, cap: int) -> None:
    """Refuse (``TooManyUnpaidOrders``) an order from a client already holding ``cap`` unpaid ones (0: no cap): one
    visitor cannot tie up the stock with orders never paid. A limit on abuse, not an invariant: two orders placed
    in the same instant may both pass it (the checkout's rate limit bounds how many)."""
    if not cap:
        return
    held = open_unpaid_orders(session, now, email=draft.email, buyer_id=draft.buyer_id, client_ip=draft.client_ip)
    if held >= cap:
        raise TooManyUnpaidOrders(cap)


def create_order(session: Session, draft: OrderDraft, now: datetime, hold: timedelta) -> Order:
    """Insert the order holding its stock for ``hold`` (``holds.payment_hold``); the unique placement token makes
    a duplicate fail here, before any stock moves; then reserve stock. Flushes; the caller commits or rolls back."""
    totals = draft.totals
    order = Order(
        placement_token=draft.placement_token,
        buyer_id=draft.buyer_id,
        status=OrderStatus.NEW,
        payment_status=PaymentStatus.UNPAID,
        email=draft.email,
        phone=draft.phone,
        contact_name=draft.contact_name,
        buyer_kind="company" if draft.company else "person",
        company_name=draft.company.get("company_name"),
        inn=draft.company.get("inn"),
        kpp=draft.company.get("kpp"),
        ogrn=draft.company.get("ogrn"),
        legal_address=draft.company.get("legal_address"),
        region_code=draft.region_code,
        city=draft.city,
        postcode=draft.postcode,
        street=draft.street,
        recipient=draft.recipient,
        recipient_phone=draft.recipient_phone,
        shipping_method_id=draft.shipping_method_id,
        shipping_method_name=draft.shipping_method_name,
        shipping_min_days=draft.shipping_min_days,
        shipping_max_days=draft.shipping_max_days,
        subtotal_amount=totals.subtotal,
        tier_code=draft.tier_code,
        tier_discount_bp=draft.tier_discount_bp,
        tier_discount_amount=totals.tier_discount,
        promo_code=draft.promo_code,
        promo_discount_amount=totals.promo_discount,
        campaign_id=draft.campaign_id,
        shipping_amount=totals.shipping,
        total_amount=totals.total,
        vat_amount=totals.vat,
        fx_rates=draft.fx_rates,
        payment_method=draft.payment_method,
        expires_at=now + hold,
        client_ip=(draft.client_ip or "")[:45] or None,
        created_at=now,
        updated_at=now,
    )
    for line in draft.lines:
        order.lines.append(
            OrderLine(
                product_id=line.product_id,
                supplier_id=line.supplier_id,
                sku=line.sku,
                title=line.title,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_amount=line.line_amount,
                commission_bp=line.commission_bp,
                weight_grams=line.weight_grams,
            )
        )
    _record(order, None, OrderStatus.NEW, now, note="placed")
    session.add(order)
    session.flush()
    order.number = format_number(order.id, now.year)
    reserve_stock(session, draft.lines)
    session.flush()
    return order


def keep_while_paying(session: Session, order: Order, now: datetime, grace: timedelta) -> bool:
    """A payment was just started: an unpaid order still holding its goods keeps them at least ``grace`` more, so
    the short card hold does not run out while the buyer is on the payment page. One conditional UPDATE; an order
    whose hold is already over is not revived. True when the hold moved. Flushes nothing; the caller commits."""
    until = now + grace
    moved = rowcount(
        session.execute(
            update(Order)
            .where(
                Order.id == order.id,
                *_unpaid_new(),
                Order.expires_at > now,
                Order.expires_at < until,
            )
            .values(expires_at=until)
            .execution_options(synchronize_session=False)
        )
    )
    return moved == 1


#: The fulfilment statuses whose arrival is stamped on the order.
_STAMPS = {
    OrderStatus.CONFIRMED: "confirmed_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELED: "canceled_at",
}


def change_status(
    session: Session,
    order: Order,
    to: OrderStatus,
    note: str = "",
    now: datetime | None = None,
    staff_id: int | None = None,
) -> Order:
    """Move the goods' status along ``TRANSITIONS`` with one conditional UPDATE (of two concurrent changes one
    wins, the other raises ``TransitionNotAllowed``), record the history, put the stock back on cancel. Past
    «new» the money must be in (``NotPaidYet``). Flushes; the caller commits, then ``announce_status_change``."""
    now = now or utcnow()
    current = OrderStatus(order.status)
    if to not in TRANSITIONS[current]:
        raise TransitionNotAllowed(current, to)
    condition = [Order.id == order.id, Order.status == current]
    if to in NEEDS_PAYMENT:
        if order.payment_status not in MONEY_IN:
            raise NotPaidYet(current, to)
        condition.append(Order.payment_status.in_(MONEY_IN))
    if to == OrderStatus.COMPLETED:  # an open dispute holds the order (``storefront.protection``)
        condition.append(Order.under_dispute.is_(False))
    stamps: dict[str, Any] = {"status": to, "updated_at": now}
    if to in _STAMPS:
        stamps[_STAMPS[to]] = now
    moved = rowcount(
        session.execute(update(Order).where(*condition).values(**stamps).execution_options(synchronize_session=False))
    )
    session.refresh(order)
    if moved != 1:
        raise TransitionNotAllowed(order.status, to)
    _record(order, current, to, now, note=note, staff_id=staff_id)
    if to == OrderStatus.CANCELED:  # every cancelable status is before shipping: the goods are still ours
        release_stock(session, order)
        release_promo_use(session, order.id)
    session.flush()
    if to in EMAILED_STATUSES:
        expect_mail(session, "order_status", order_id=order.id, event=str(to))
    if to == OrderStatus.COMPLETED:  # the held money becomes the suppliers' and the platform's (the ledger)
        order_completed.send(None, session=session, order_id=order.id)
    if to == OrderStatus.DELIVERED:  # handed over: a company's УПД (``storefront.documents``)
        order_delivered.send(None, session=session, order_id=order.id, now=now)
    return order


def change_payment_status(
    session: Session,
    order: Order,
    to: PaymentStatus,
    *,
    reference: str = "",
    amount: Decimal | None = None,
    now: datetime | None = None,
    staff_id: int | None = None,
) -> Order:
    """Move the money's status along ``PAYMENT_TRANSITIONS`` (one conditional UPDATE), recording the payment
    or refund reference and amount. The goods' status never moves here. Flushes; the caller commits."""
    now = now or utcnow()
    current = PaymentStatus(order.payment_status)
    if to not in PAYMENT_TRANSITIONS[current]:
        raise TransitionNotAllowed(current, to)
    stamps: dict[str, Any] = {"payment_status": to, "updated_at": now}
    if to == PaymentStatus.PAID:
        stamps["paid_at"] = now
    condition = [Order.id == order.id, Order.payment_status == current]
    if to == PaymentStatus.PAID:  # an order canceled meanwhile is not paid: staff must refund the money
        condition.append(Order.status != OrderStatus.CANCELED)
    moved = rowcount(
        session.execute(update(Order).where(*condition).values(**stamps).execution_options(synchronize_session=False))
    )
    session.refresh(order)
    if moved != 1:
        raise TransitionNotAllowed(order.payment_status, to)
    _record(order, current, to, now, kind=HistoryKind.PAYMENT, reference=reference, amount=amount, staff_id=staff_id)
    session.flush()
    return order


#: How an order came to be completed (the history step's note; the words are in ``order.web.reason_label``).
BUYER_CONFIRMED, AUTO_CONFIRMED, DISPUTE_DECIDED = "buyer_confirmed", "auto_confirmed", "dispute_decided"


def confirm_receipt(
    session: Session,
    order: Order,
    buyer_id: int | None,
    *,
    how: str = BUYER_CONFIRMED,
    now: datetime | None = None,
    staff_id: int | None = None,
) -> Order:
    """A delivered order is accepted: ``completed``. THE one way an order completes — the buyer's button, the end
    of the inspection window (``storefront.protection.jobs``, ``how=AUTO_CONFIRMED``) and a decided dispute
    (``how=DISPUTE_DECIDED``) all come here, so whatever must follow a confirmation hooks on this function. One
    conditional UPDATE (``change_status``): refused while a dispute is open or once completed. Flushes; the caller
    commits, then calls ``announce_status_change``."""
    if order.buyer_id is not None and order.buyer_id != buyer_id:
        raise NotFound(order.number or "")
    change_status(session, order, OrderStatus.COMPLETED, how, now=now, staff_id=staff_id)
    return order


def _cancel_unpaid(session: Session, order: Order, now: datetime) -> None:
    """Cancel an order still unpaid, in one conditional UPDATE that also checks it is unpaid (a payment
    landing at the same moment wins)."""
    moved = rowcount(
        session.execute(
            update(Order)
            .where(Order.id == order.id, *_unpaid_new())
            .values(status=OrderStatus.CANCELED, canceled_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(order)
    if moved != 1:
        raise TransitionNotAllowed(order.status, OrderStatus.CANCELED)
    _record(order, OrderStatus.NEW, OrderStatus.CANCELED, now, note="expired")
    release_stock(session, order)
    release_promo_use(session, order.id)
    session.flush()
    expect_mail(session, "order_status", order_id=order.id, event=str(OrderStatus.CANCELED))


@periodic("expire-unpaid-orders", every=timedelta(minutes=5))
def expire_unpaid_orders(session: Session, now: datetime) -> str:
    """Cancel orders unpaid past ``expires_at`` and put their stock back. Safe to run concurrently:
    each cancel is a conditional UPDATE on the status."""
    due = list(
        session.scalars(select(Order).where(*_unpaid_new(), Order.expires_at <= now).order_by(Order.id).limit(500))
    )
    expired = 0
    for order in due:
        try:
            _cancel_unpaid(session, order, now)
        except TransitionNotAllowed:  # paid or canceled meanwhile
            session.rollback()
            continue
        session.commit()
        announce_status_change(order, OrderStatus.NEW)
        expired += 1
    if expired:
        logger.info("expired %s unpaid orders", expired)
    return f"expired {expired}"


def announce_status_change(order: Order, previous: str) -> None:
    """Tell subscribers (the CRM) after a fulfilment change has committed (its e-mail was written with it)."""
    order_status_changed.send(
        None, order_id=order.id, number=order.number, from_status=str(previous), to_status=str(order.status)
    )


def make_access_token(order: Order, secret_key: str) -> str:
    """The signed part of a guest's link to their order (in the e-mails): the order number and its
    ``access_version``, with the time of signing (the link expires, see ``link_state``)."""
    return URLSafeTimedSerializer(secret_key, salt=ACCESS_SALT).dumps([order.number, order.access_version or 1])


class LinkState(enum.StrEnum):
    VALID = "valid"
    #: Ours and for this order, but older than the allowed age or of a revoked version.
    STALE = "stale"
    #: Missing, forged, or for another order.
    INVALID = "invalid"


def link_state(
    order: Order, token: str | None, secret_key: str, max_age_days: int, now: datetime | None = None
) -> LinkState:
    """What a guest link's token is worth for ``order`` at ``now``."""
    if not token:
        return LinkState.INVALID
    try:
        payload, signed_at = URLSafeTimedSerializer(secret_key, salt=ACCESS_SALT).loads(token, return_timestamp=True)
    except BadSignature:
        return LinkState.STALE if _untimed_link_for(order, token, secret_key) else LinkState.INVALID
    if not isinstance(payload, list) or len(payload) != 2 or payload[0] != order.number:
        return LinkState.INVALID
    if payload[1] != order.access_version or (now or utcnow()) - signed_at > timedelta(days=max_age_days):
        return LinkState.STALE
    return LinkState.VALID


def _untimed_link_for(order: Order, token: str, secret_key: str) -> bool:
    """A genuine link from before links expired (the bare order number, untimed): stale, so its guest gets the
    page offering a new one rather than a bare 404."""
    try:
        return bool(URLSafeSerializer(secret_key, salt=ACCESS_SALT).loads(token) == order.number)
    except BadSignature:
        return False


def revoke_guest_links(session: Session, order: Order) -> None:
    """Every link sent so far stops working: one conditional UPDATE of ``access_version``. Flushes; the caller
    commits."""
    session.execute(
        update(Order).where(Order.id == order.id).values(access_version=Order.access_version + 1),
        execution_options={"synchronize_session": False},
    )
    session.refresh(order, ["access_version"])


def attach_guest_order(session: Session, order: Order, buyer_id: int, buyer_email: str) -> bool:
    """Give a guest order to the account just created from it (same email only). Flushes; the caller commits."""
    if order.buyer_id is not None or order.email != buyer_email:
        return False
    order.buyer_id = buyer_id
    session.flush()
    return True
