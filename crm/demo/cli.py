"""``flask crm seed-demo-buyers [--buyers N] [--if-empty]``: the demo CRM (``crm.demo.seed``)."""

from __future__ import annotations

import os
import sys

import click
from flask_babel import format_decimal
from flask_babel import gettext as _

from crm.demo.seed import DEFAULT_BUYERS, DemoSeedError, has_buyers, seed_demo_buyers
from crm.tiers.cli import crm_group
from storefront.extensions import db

#: The demo managers' shared password (never on the command line; ``make run`` sets it).
PASSWORD_ENV = "MOSTIK_DEMO_MANAGER_PASSWORD"
MAX_BUYERS = 20_000


def _buyer_count(value: str) -> int:
    """A whole number from 1 to MAX_BUYERS, or a usage error in Russian (click's own range message is English;
    checked in the command, where the app context and its locale exist)."""
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_BUYERS:
        raise click.BadParameter(
            _("the number of buyers is a whole number from 1 to %(max)s, not «%(value)s».", max=MAX_BUYERS, value=text),
            param_hint="'--buyers'",
        )
    return int(text)


@crm_group.command("seed-demo-buyers")
@click.option(
    "--buyers",
    default=str(DEFAULT_BUYERS),
    metavar="N",
    show_default=True,
    help="How many demo buyers to add (with two years of orders).",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when there are buyers already (make run).")
def seed_demo_buyers_command(buyers: str, if_empty: bool) -> None:
    """Add demo buyers, paid orders, account managers, notes and tasks (deterministic; no e-mail is sent)."""
    count = _buyer_count(buyers)
    if has_buyers(db.session()):
        if if_empty:
            click.echo(_("There are buyers already; demo buyers not added."))
            return
        click.echo(_("There are buyers already. Demo buyers are only added to a database without buyers."), err=True)
        sys.exit(1)
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        password = click.prompt(_("Password for the demo account managers"), hide_input=True, confirmation_prompt=True)
    try:
        report = seed_demo_buyers(db.session(), count, manager_password=password)
    except DemoSeedError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(
        _(
            "Demo CRM data added: %(buyers)s buyers, %(orders)s paid orders, %(refunds)s partial refunds, "
            "%(managers)s account managers (%(assigned)s buyers assigned), %(notes)s notes, %(tasks)s tasks "
            "in %(seconds)s s.",
            buyers=report.buyers,
            orders=report.orders,
            refunds=report.refunds,
            managers=report.managers,
            assigned=report.assigned,
            notes=report.notes,
            tasks=report.tasks,
            seconds=format_decimal(round(report.seconds, 1)),
        )
    )
    tiers = ", ".join(f"{name} {count}" for name, count in report.tiers.items())
    click.echo(_("Buyers by tier: %(tiers)s.", tiers=tiers))
