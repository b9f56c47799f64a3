"""``flask --app wsgi payment import-statement FILE``: a bank statement in the 1C client-bank exchange format; the
CRM's finance staff upload the same files on /crm/bank/. Messages go through gettext: an administrator reads
them in Russian. Exits 1 when the file is refused (then nothing was applied)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _

from storefront.banking.matching import announce_paid
from storefront.banking.parser import StatementRejected
from storefront.banking.services import ImportSummary, import_statement
from storefront.banking.texts import reason_label, rejection_messages
from storefront.extensions import db
from storefront.payment.cli import payment_group


def _money(amount: object) -> str:
    return format_decimal(amount, format="#,##0.00") + " ₽"


def summary_lines(summary: ImportSummary) -> list[str]:
    """The import's outcome, line by line (the CLI prints them)."""
    lines = [
        _("Documents in the file: %(num)s", num=summary.documents),
        _("Matched and paid: %(num)s", num=summary.matched),
    ]
    lines += [f"  {item.number}: {_money(item.amount)}" for item in summary.paid]
    lines.append(_("To review: %(num)s", num=len(summary.review)))
    lines += [
        "  "
        + _(
            "payment order %(number)s, %(amount)s: %(reason)s",
            number=item.number,
            amount=_money(item.amount),
            reason=reason_label(item.reason),
        )
        for item in summary.review
    ]
    lines.append(_("Already imported: %(num)s", num=summary.already))
    lines.append(_("Not to our account: %(num)s", num=summary.skipped))
    return lines


@payment_group.command("import-statement")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_statement_command(path: str) -> None:
    """Import a bank statement (1C client-bank exchange): incoming payments are matched to orders."""
    our_account = current_app.config["SELLER_SETTLEMENT_ACCOUNT"]
    if not our_account:
        click.echo(_("Set SELLER_SETTLEMENT_ACCOUNT (and the other bank settings) first."), err=True)
        sys.exit(2)
    data = Path(path).read_bytes()
    session = db.session()
    try:
        summary = import_statement(session, data, our_account=our_account, filename=Path(path).name)
    except StatementRejected as rejected:
        session.rollback()
        click.echo(_("Nothing was imported. Fix the file and import it again:"), err=True)
        for message in rejection_messages(rejected):
            click.echo(message, err=True)
        sys.exit(1)
    session.commit()
    announce_paid(summary.paid)
    click.echo("\n".join(summary_lines(summary)))
