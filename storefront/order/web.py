"""The request side of orders: who may see an order (owner or signed guest link), status labels.
Used by the order, payment and checkout views."""

from __future__ import annotations

from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from storefront.extensions import db
from storefront.order.models import Order, OrderStatus
from storefront.order.services import get_order_by_number, token_grants_access


def status_label(status: str) -> str:
    return {
        OrderStatus.AWAITING_PAYMENT: _("Awaiting payment"),
        OrderStatus.PAID: _("Paid"),
        OrderStatus.SHIPPED: _("Shipped"),
        OrderStatus.DELIVERED: _("Delivered"),
        OrderStatus.COMPLETED: _("Completed"),
        OrderStatus.CANCELED: _("Canceled"),
        OrderStatus.REFUNDED: _("Refunded"),
        OrderStatus.PARTIALLY_REFUNDED: _("Partially refunded"),
    }.get(status, status)


def viewable_order(number: str) -> tuple[Order, str | None]:
    """The order if this visitor may see it (owner, or a valid guest link), with the link token."""
    order = get_order_by_number(db.session, number)
    token = request.args.get("t")
    if current_user.is_authenticated and order.buyer_id == current_user.id:
        return order, None
    if token_grants_access(order, token, current_app.config["SECRET_KEY"]):
        return order, token
    if not current_user.is_authenticated and order.buyer_id is not None:
        abort(401)
    abort(404)
