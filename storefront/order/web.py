"""The request side of orders: who may see an order (owner or signed guest link), status labels.
Used by the order, payment and checkout views."""

from __future__ import annotations

from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.emails import send_templated
from storefront.extensions import db
from storefront.order.models import HistoryKind, Order, OrderStatus, OrderStatusChange, PaymentStatus
from storefront.order.services import get_order_by_number, make_access_token, token_grants_access
from storefront.shipping.regions import region_name


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


def reason_label(note: str) -> str:
    """A history note: the reason codes the system writes in words; a staff member's own words as they are."""
    reasons: dict[str, str] = {
        "placed": "",
        "expired": _("not paid in time"),
        "buyer_confirmed": _("receipt confirmed by the buyer"),
        "auto_completed": _("completed automatically after delivery"),
    }
    return reasons.get(note, note)


def viewable_order(number: str) -> tuple[Order, str | None]:
    """The order if this visitor may see it (owner, or a valid guest link), with the link token."""
    order = get_order_by_number(db.session(), number)
    token = request.args.get("t")
    if current_user.is_authenticated and order.buyer_id == current_user.id:
        return order, None
    if token_grants_access(order, token, current_app.config["SECRET_KEY"]):
        return order, token
    if not current_user.is_authenticated and order.buyer_id is not None:
        abort(401)
    abort(404)


def send_placed_email(order_id: int) -> bool:
    """The Russian «заказ оформлен» email (text + HTML) with the order's link (a guest's signed link)."""
    order = db.session.get(Order, order_id)
    if order is None:
        return False
    token = make_access_token(order, current_app.config["SECRET_KEY"])
    path = url_for("order.order_detail", number=order.number, t=token)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    subject = _("Order %(number)s is placed", number=order.number)
    return send_templated("order_placed", order.email, subject, order=order, link=link, region_name=region_name)


def send_status_email(order_id: int) -> bool:
    """The Russian «статус заказа» email (text + HTML) for the order's current status."""
    order = db.session.get(Order, order_id)
    if order is None:
        return False
    status = order_label(order)
    subject = _("Order %(number)s: %(status)s", number=order.number, status=status)
    # «Shipped» names the carrier, the tracking number and its link (storefront.fulfilment's template globals).
    template = "order_shipped" if order.status == OrderStatus.SHIPPED else "order_status"
    return send_templated(template, order.email, subject, order=order, status=status)
