"""The request side of orders: who may see an order (owner or signed guest link), status labels.
Used by the order, payment and checkout views."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, current_app, make_response, render_template, request
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from storefront.account.forms import OrderLinkRequestForm
from storefront.emails import mail_renderer, queue_templated
from storefront.extensions import db
from storefront.logins.web import survives_sign_in
from storefront.order.attribution import SESSION_KEY as CLICK_KEY
from storefront.order.models import MONEY_IN, HistoryKind, Order, OrderStatus, OrderStatusChange, PaymentStatus
from storefront.order.services import LinkState, get_order_by_number, link_state, make_access_token
from storefront.shipping.regions import region_name

#: A campaign click made before signing in still credits the order placed after it.
survives_sign_in(CLICK_KEY)


def unpaid_cap_message(cap: int) -> str:
    """Why a new order was refused (``TooManyUnpaidOrders``): at the checkout and on a quote."""
    return ngettext(
        "You already have %(num)d unpaid order. Pay it or wait until it is canceled (unpaid orders are canceled "
        "after a short time), then place a new one.",
        "You already have %(num)d unpaid orders. Pay them or wait until they are canceled (unpaid orders are "
        "canceled after a short time), then place a new one.",
        cap,
    )


def status_label(status: str) -> str:
    """The goods' status in words."""
    labels: dict[str, str] = {
        OrderStatus.NEW: _("New"),
        OrderStatus.CONFIRMED: _("Confirmed by the supplier"),
        OrderStatus.PACKED: _("Packed"),
        OrderStatus.SHIPPED: _("Shipped"),
        OrderStatus.DELIVERED: _("Delivered"),
        OrderStatus.COMPLETED: _("Completed"),
        OrderStatus.CANCELED: _("Canceled"),
    }
    return labels.get(status, status)


def payment_status_label(status: str) -> str:
    """The money's status in words."""
    labels: dict[str, str] = {
        PaymentStatus.UNPAID: _("Awaiting payment"),
        PaymentStatus.PAID: _("Paid"),
        PaymentStatus.PARTIALLY_REFUNDED: _("Partially refunded"),
        PaymentStatus.REFUNDED: _("Refunded"),
    }
    return labels.get(status, status)


def order_label(order: Order) -> str:
    """One phrase for lists: «Ожидает оплаты» while the buyer may still pay, else the goods' status."""
    if order.awaiting_payment:
        return payment_status_label(PaymentStatus.UNPAID)
    return status_label(order.status)


def step_label(change: OrderStatusChange) -> str:
    """A history step in words: «Заказ оформлен», «Оплачен», «Частичный возврат», «Отправлен» …"""
    if change.kind == HistoryKind.PAYMENT:
        if change.to_status == PaymentStatus.PAID:
            return _("Payment received")
        if change.to_status == PaymentStatus.REFUNDED:
            return _("Refunded in full")
        return _("Partial refund")
    if change.from_status is None:
        return _("Order placed")
    return status_label(change.to_status)


def progress_label(key: str) -> str:
    """A step of the buyer's order page (``storefront.order.progress.STEPS``) in words."""
    if key == "placed":
        return _("Order placed")
    if key == "paid":
        return _("Paid")
    return status_label(key)


def delivery_window(window: tuple[date, date]) -> str:
    """«12–18 декабря», «28 ноября – 3 декабря», «18 декабря»."""
    start, end = window
    if start == end:
        return str(format_date(end, "d MMMM"))
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end, 'd MMMM')}"
    return f"{format_date(start, 'd MMMM')} – {format_date(end, 'd MMMM')}"


def reason_label(note: str) -> str:
    """A history note: the reason codes the system writes in words; a staff member's own words as they are."""
    reasons: dict[str, str] = {
        "placed": "",
        "expired": _("not paid in time"),
        "buyer_confirmed": _("receipt confirmed by the buyer"),
        "auto_completed": _("completed automatically after delivery"),
        "auto_confirmed": _("confirmed automatically when the inspection period ended"),
        "dispute_decided": _("completed after the decision on the dispute"),
        "buyer_asked": _("at the buyer's request"),
        "supplier_out_of_stock": _("the supplier has run out of the goods"),
        "supplier_price_changed": _("the supplier's price has changed"),
        "cannot_deliver": _("we cannot deliver to this address"),
        "duplicate": _("a duplicate of another order"),
    }
    return reasons.get(note, note)


def guest_link_state(order: Order, token: str | None) -> LinkState:
    """What this request's guest link token is worth now (``GUEST_LINK_DAYS``, the order's ``access_version``)."""
    config = current_app.config
    return link_state(order, token, config["SECRET_KEY"], config["GUEST_LINK_DAYS"])


def viewable_order(number: str) -> tuple[Order, str | None]:
    """The order if this visitor may see it (owner, or a valid guest link), with the link token. An expired or
    revoked link gets the page that offers a new one (410); a forged one grants nothing."""
    order = get_order_by_number(db.session(), number)
    token = request.args.get("t")
    if current_user.is_authenticated and order.buyer_id == current_user.id:
        return order, None
    state = guest_link_state(order, token)
    if state == LinkState.VALID:
        return order, token
    if state == LinkState.STALE:
        page = render_template("order/link_expired.html", number=order.number, form=OrderLinkRequestForm())
        abort(make_response(page, 410))
    if not current_user.is_authenticated and order.buyer_id is not None:
        abort(401)
    abort(404)


def queue_link_email(session: Session, order: Order) -> None:
    """A fresh guest link to the order's own address, through the outbox; the caller commits."""
    subject = _("A new link to order %(number)s", number=order.number)
    queue_templated(session, "order_link", order.email, subject, order=order, link=order_link(order))


@mail_renderer("order_placed")
def queue_placed_email(session: Session, order_id: int) -> None:
    """The Russian «заказ оформлен» email (text + HTML) with the order's link (a guest's signed link)."""
    order = session.get(Order, order_id)
    if order is None:
        return
    subject = _("Order %(number)s is placed", number=order.number)
    link = order_link(order)
    queue_templated(session, "order_placed", order.email, subject, order=order, link=link, region_name=region_name)


def refunded_so_far(order: Order) -> Decimal:
    """What the order's history says was refunded (each refund step carries its amount)."""
    refunds = (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
    return sum(
        (c.amount for c in order.history if c.kind == HistoryKind.PAYMENT and c.to_status in refunds and c.amount),
        Decimal("0.00"),
    )


def order_link(order: Order) -> str:
    """The order page's address for e-mails (a guest's signed link works for a buyer too); built without a
    request, since jobs send these too (expiry, auto-completion)."""
    token = make_access_token(order, current_app.config["SECRET_KEY"])
    path = current_app.url_map.bind("localhost").build("order.order_detail", {"number": order.number, "t": token})
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


@mail_renderer("order_status")
def queue_status_email(session: Session, order_id: int, event: str | None = None) -> None:
    """The Russian e-mail about a step: ``event`` is the fulfilment status reached, or ``"paid"``. The cancel
    e-mail gives the reason and, for a paid order, says the money is on its way back."""
    order = session.get(Order, order_id)
    if order is None:
        return
    event = event or str(order.status)
    status = _("Paid") if event == "paid" else order_label(order)
    reason = ""
    if event in (OrderStatus.CANCELED, OrderStatus.COMPLETED):
        steps = [c for c in order.history if c.kind == HistoryKind.FULFILMENT and c.to_status == event]
        reason = reason_label(steps[-1].note) if steps else ""
    subject = _("Order %(number)s: %(status)s", number=order.number, status=status)
    # «Shipped» names the carrier, the tracking number and its link (storefront.fulfilment's template globals).
    template = "order_shipped" if event == OrderStatus.SHIPPED else "order_status"
    queue_templated(
        session,
        template,
        order.email,
        subject,
        order=order,
        status=status,
        event=event,
        reason=reason,
        money_in=order.payment_status in MONEY_IN,
        to_return=order.total_amount - refunded_so_far(order),
        link=order_link(order),
    )
