"""``flask --app wsgi settlement check`` (the ledger's invariant; exit 1 with the mismatches),
``settlement backfill`` (post the ledger history of orders paid before it existed; the demo runs it), and
``payment refund ORDER_NUMBER [--amount 123,45] [--line N …]``: here, beside the ledger, because a refund for chosen
lines is capped by what the ledger still holds for them (``lines_refundable``), as on the CRM order page.

Messages go through gettext: finance reads them in Russian.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from storefront.errors import NotFound
from storefront.extensions import db
from storefront.i18n import format_rub
from storefront.money import MoneyError, from_minor, parse_amount, quantize_kopecks
from storefront.order.models import MONEY_IN, Order, OrderLine
from storefront.order.services import get_order_by_number
from storefront.payment.cli import payment_group
from storefront.payment.errors import RefundError, RefundFailure
from storefront.payment.refunds import refund_order
from storefront.settlement import returns_commission
from storefront.settlement.checks import backfill, check_ledger
from storefront.settlement.postings import lines_refundable

settlement_group = AppGroup("settlement", help="Supplier settlement: the ledger's invariant and its backfill.")

#: At most this many mismatches of each kind are printed (all are counted).
SHOWN = 50


def _rub(kopecks: int) -> str:
    return format_rub(from_minor(kopecks))


@settlement_group.command("check")
def check_command() -> None:
    """Check that for every order captured − refunded = payables + platform + held, and every transaction balances."""
    report = check_ledger(db.session())
    db.session.rollback()
    for transaction_id, total in report.unbalanced[:SHOWN]:
        click.echo(
            _("Transaction %(id)s does not balance: its entries sum to %(sum)s.", id=transaction_id, sum=_rub(total))
        )
    for mismatch in report.mismatches[:SHOWN]:
        click.echo(
            _(
                "Order %(number)s: captured %(captured)s − refunded %(refunded)s = %(net)s, but the ledger has "
                "%(ledger)s (payables + platform + held).",
                number=mismatch.number,
                captured=_rub(mismatch.captured),
                refunded=_rub(mismatch.refunded),
                net=_rub(mismatch.captured - mismatch.refunded),
                ledger=_rub(mismatch.ledger),
            )
        )
    for number, line_id, total in report.negative_held[:SHOWN]:
        click.echo(
            _(
                "Order %(number)s holds %(amount)s less than nothing (line %(line)s).",
                number=number,
                amount=_rub(total),
                line=line_id or "—",
            )
        )
    if not report.holds:
        problems = len(report.unbalanced) + len(report.mismatches) + len(report.negative_held)
        click.echo(
            ngettext(
                "The ledger does not reconcile: %(num)d problem.",
                "The ledger does not reconcile: %(num)d problems.",
                problems,
            ),
            err=True,
        )
        sys.exit(1)
    click.echo(
        ngettext(
            "The ledger reconciles: %(num)d order checked, every transaction balances.",
            "The ledger reconciles: %(num)d orders checked, every transaction balances.",
            report.orders,
        )
    )


@settlement_group.command("backfill")
def backfill_command() -> None:
    """Post the ledger history (payments, refunds, confirmations) of paid orders lacking it; a repeat posts nothing."""
    total = 0
    for posted in backfill(db.session(), returns_commission=returns_commission()):
        db.session.commit()  # one batch of orders at a time
        total += sum(posted.values())
    click.echo(ngettext("Posted %(num)d ledger transaction.", "Posted %(num)d ledger transactions.", total))


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def _amount(text: str | None) -> Decimal | None:
    """The ``--amount`` as roubles (None: not given); exits with a message when it is no amount."""
    if text is None:
        return None
    try:
        value = parse_amount(text)
    except MoneyError:
        _fail(_("Not an amount: %(text)s. Write it like 123,45.", text=text))
    if value is None or value <= 0 or value != quantize_kopecks(value):
        _fail(_("The amount must be greater than zero and in whole kopecks, like 123,45."))
    return value


def _chosen_lines(order: Order, positions: tuple[int, ...]) -> list[OrderLine]:
    """The order's lines at ``positions`` (1 is the first line, as the CRM order page lists them)."""
    lines = order.lines
    for position in positions:
        if not 1 <= position <= len(lines):
            _fail(
                _(
                    "Order %(number)s has no line %(line)s: its lines are numbered 1 to %(count)s.",
                    number=order.number,
                    line=position,
                    count=len(lines),
                )
            )
    return [line for position, line in enumerate(lines, start=1) if position in positions]


def _refusal(error: RefundError, number: str) -> str:
    return {
        RefundFailure.NOT_PAID: _(
            "Order %(number)s has no successful payment: there is nothing to refund.", number=number
        ),
        RefundFailure.NOTHING_LEFT: _("Everything paid for order %(number)s has already been refunded.", number=number),
        RefundFailure.TOO_MUCH: _(
            "Cannot refund %(amount)s: only %(remaining)s of order %(number)s is left to refund.",
            amount=format_rub(error.values.get("amount")),
            remaining=format_rub(error.values.get("remaining")),
            number=number,
        ),
        RefundFailure.BAD_AMOUNT: _("The amount must be greater than zero and in whole kopecks, like 123,45."),
        RefundFailure.UNKNOWN: _(
            "The payment service did not answer. Run the same command again: it will not refund twice."
        ),
        RefundFailure.REFUSED: _("The payment service refused the refund: %(reason)s", reason=str(error)),
    }.get(error.code, str(error))


@payment_group.command("refund")
@click.argument("number")
@click.option("--amount", default=None, help="Amount in roubles, e.g. 123,45 (default: everything not yet refunded).")
@click.option(
    "--line",
    "positions",
    type=click.IntRange(min=1),
    multiple=True,
    help="Refund for this order line only (1 is the first line on the CRM order page); repeat for more. Its "
    "suppliers bear the refund, and without --amount everything left of the lines is refunded.",
)
def refund_command(number: str, amount: str | None, positions: tuple[int, ...]) -> None:
    """Refund an order's payment (fully or partly) with a 54-FZ refund receipt."""
    gateway = current_app.extensions["payment_gateway"]
    if gateway is None:
        _fail(_("Online payments are not configured (YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY)."))
    value = _amount(amount)
    try:
        order = get_order_by_number(db.session(), number.strip())
    except NotFound:
        _fail(_("Order %(number)s not found.", number=number))
    lines = _chosen_lines(order, positions)
    if lines and order.payment_status in MONEY_IN:  # unpaid or all refunded: ``refund_order`` says so
        cap = from_minor(lines_refundable(db.session(), order, [line.id for line in lines]))
        if cap <= 0:
            _fail(_("Nothing is left to refund for the chosen lines."))
        if value is not None and value > cap:
            _fail(_("At most %(amount)s can be refunded for the chosen lines.", amount=format_rub(cap)))
        value = cap if value is None else value  # «everything left» of chosen lines is what is left of them
    try:
        refund = refund_order(db.session(), gateway, order, value, lines=[line.id for line in lines])
    except RefundError as error:
        db.session.rollback()
        _fail(_refusal(error, number))
    click.echo(
        _(
            "Refund of %(amount)s for order %(number)s: %(status)s.",
            amount=format_rub(refund.amount),
            number=number,
            status={
                "succeeded": _("done"),
                "pending": _("in progress"),
                "canceled": _("canceled by the payment service"),
            }.get(refund.status, refund.status),
        )
    )
    if lines:
        click.echo(_("For the lines: %(lines)s", lines=", ".join(line.title for line in lines)))
