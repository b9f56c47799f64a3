"""The request side of orders: who may see an order (owner or signed guest link), status labels.
Used by the order, payment and checkout views."""

from __future__ import annotations

from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.emails import send_templated
from storefront.extensions import db
from storefront.order.models import Order, OrderStatus
from storefront.order.services import get_order_by_number, make_access_token, token_grants_access
from storefront.shipping.regions import region_name


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        OrderStatus.AWAITING_PAYMENT: _("Awaiting payment"),
        OrderStatus.PAID: _("Paid"),
        OrderStatus.SHIPPED: _("Shipped"),
        OrderStatus.DELIVERED: _("Delivered"),
        OrderStatus.COMPLETED: _("Completed"),
        OrderStatus.CANCELED: _("Canceled"),
        OrderStatus.REFUNDED: _("Refunded"),
        OrderStatus.PARTIALLY_REFUNDED: _("Partially refunded"),
    }
    return labels.get(status, status)


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
    status = status_label(order.status)
    subject = _("Order %(number)s: %(status)s", number=order.number, status=status)
    return send_templated("order_status", order.email, subject, order=order, status=status)
