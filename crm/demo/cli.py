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


@crm_group.command("seed-demo-buyers")
@click.option(
    "--buyers",
    type=click.IntRange(1, 20_000),
    default=DEFAULT_BUYERS,
    show_default=True,
    help="How many demo buyers to add (with two years of orders).",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when there are buyers already (make run).")
def seed_demo_buyers_command(buyers: int, if_empty: bool) -> None:
    """Add demo buyers, paid orders, account managers, notes and tasks (deterministic; no e-mail is sent)."""
    if has_buyers(db.session):
        if if_empty:
            click.echo(_("There are buyers already; demo buyers not added."))
            return
        click.echo(_("There are buyers already. Demo buyers are only added to a database without buyers."), err=True)
        sys.exit(1)
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        password = click.prompt(_("Password for the demo account managers"), hide_input=True, confirmation_prompt=True)
    try:
        report = seed_demo_buyers(db.session, buyers, manager_password=password)
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
