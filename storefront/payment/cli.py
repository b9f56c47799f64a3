"""``flask --app wsgi payment refund ORDER_NUMBER [--amount 123,45]``; staff refund on /crm/orders/<number> too.

Messages go through gettext: an administrator reads them in Russian.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import format_decimal
from flask_babel import gettext as _

from storefront.errors import NotFound
from storefront.extensions import db
from storefront.money import MoneyError, parse_amount, quantize_kopecks
from storefront.order.services import get_order_by_number
from storefront.payment.errors import RefundError, RefundFailure
from storefront.payment.refunds import refund_order

payment_group = AppGroup("payment", help="Payments: refunds (staff also refund on the CRM order page).")


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _money(amount: object) -> str:
    return format_decimal(amount, format="#,##0.00") + " ₽"


@payment_group.command("refund")
@click.argument("number")
@click.option("--amount", default=None, help="Amount in roubles, e.g. 123,45 (default: everything not yet refunded).")
def refund_command(number: str, amount: str | None) -> None:
    """Refund an order's payment (fully or partly) with a 54-FZ refund receipt."""
    gateway = current_app.extensions["payment_gateway"]
    if gateway is None:
        _fail(_("Online payments are not configured (YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY)."))
    value = None
    if amount is not None:
        try:
            value = parse_amount(amount)
        except MoneyError:
            _fail(_("Not an amount: %(text)s. Write it like 123,45.", text=amount))
        if value is None or value <= 0 or value != quantize_kopecks(value):
            _fail(_("The amount must be greater than zero and in whole kopecks, like 123,45."))
    try:
        order = get_order_by_number(db.session(), number.strip())
    except NotFound:
        _fail(_("Order %(number)s not found.", number=number))
    try:
        refund = refund_order(db.session(), gateway, order, value)
    except RefundError as error:
        db.session.rollback()
        messages = {
            RefundFailure.NOT_PAID: _(
                "Order %(number)s has no successful payment: there is nothing to refund.", number=number
            ),
            RefundFailure.NOTHING_LEFT: _(
                "Everything paid for order %(number)s has already been refunded.", number=number
            ),
            RefundFailure.TOO_MUCH: _(
                "Cannot refund %(amount)s: only %(remaining)s of order %(number)s is left to refund.",
                amount=_money(error.values.get("amount")),
                remaining=_money(error.values.get("remaining")),
                number=number,
            ),
            RefundFailure.BAD_AMOUNT: _("The amount must be greater than zero and in whole kopecks, like 123,45."),
            RefundFailure.UNKNOWN: _(
                "The payment service did not answer. Run the same command again: it will not refund twice."
            ),
            RefundFailure.REFUSED: _("The payment service refused the refund: %(reason)s", reason=str(error)),
        }
        _fail(messages.get(error.code, str(error)))
        return
    click.echo(
        _(
            "Refund of %(amount)s for order %(number)s: %(status)s.",
            amount=_money(refund.amount),
            number=number,
            status={
                "succeeded": _("done"),
                "pending": _("in progress"),
                "canceled": _("canceled by the payment service"),
            }.get(refund.status, refund.status),
        )
    )
