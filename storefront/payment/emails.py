"""The buyer's e-mail about a refund (rendered for what ``refunds.py`` announces with ``expect_mail``)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from storefront.emails import mail_renderer, queue_templated
from storefront.order.models import Order
from storefront.payment.models import Refund
from storefront.payment.refunds import refunded_amount


@mail_renderer("order_refund")
def queue_refund_email(session: Session, order_id: int, refund_id: int) -> None:
    """The Russian «возврат» e-mail: how much came back, and how much of the payment remains."""
    order = session.get(Order, order_id)
    refund = session.get(Refund, refund_id)
    if order is None or refund is None:
        return
    payment = refund.payment
    remaining = payment.amount - refunded_amount(session, payment)
    subject = _("Order %(number)s: refund", number=order.number)
    queue_templated(session, "order_refund", order.email, subject, order=order, refund=refund, remaining=remaining)
