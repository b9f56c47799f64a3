"""``flask --app wsgi settlement check`` (the ledger's invariant; exit 1 with the mismatches) and
``settlement backfill`` (post the ledger history of orders paid before it existed; the demo runs it).

Messages go through gettext: finance reads them in Russian.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from storefront.extensions import db
from storefront.i18n import format_rub
from storefront.money import from_minor
from storefront.settlement import returns_commission
from storefront.settlement.checks import backfill, check_ledger

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
