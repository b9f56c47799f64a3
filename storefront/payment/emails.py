"""The buyer's e-mail about a refund (the receiver of ``order_refunded``, connected by ``init_app``)."""

from __future__ import annotations

from flask_babel import gettext as _

from storefront.emails import send_templated
from storefront.extensions import db
from storefront.order.models import Order
from storefront.payment.models import Refund
from storefront.payment.refunds import refunded_amount


def send_refund_email(order_id: int, refund_id: int) -> bool:
    """The Russian «возврат» e-mail: how much came back, and how much of the payment remains."""
    order = db.session.get(Order, order_id)
    refund = db.session.get(Refund, refund_id)
    if order is None or refund is None:
        return False
    payment = refund.payment
    remaining = payment.amount - refunded_amount(db.session(), payment)
    subject = _("Order %(number)s: refund", number=order.number)
    return send_templated("order_refund", order.email, subject, order=order, refund=refund, remaining=remaining)
