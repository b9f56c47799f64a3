"""The demo's commands, registered by the composition root (``wsgi.py``), never by the installed packages:

* ``flask --app wsgi seed-demo [--products N] [--if-empty]``: the demo catalogue (``demo.catalogue``);
* ``flask --app wsgi crm seed-demo-buyers [--buyers N] [--if-empty]``: the demo CRM (``demo.buyers``);
* ``flask --app wsgi crm seed-demo-campaigns [--if-empty]``: a year of sent campaigns (``demo.campaigns``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import format_decimal
from flask_babel import gettext as _

from crm.cli import crm_group
from crm.reorder.services import POLICY_EXTENSION
from demo.buyers import DEFAULT_BUYERS, DemoSeedError, demo_buyer_login, has_buyers, seed_demo_buyers
from demo.campaigns import has_campaign_history, seed_campaign_history
from storefront.extensions import db
from storefront.legal.services import publish_defaults
from storefront.seller import seller_of
from storefront.shipping.services import seed_shipping_methods

#: The demo managers' shared password (never on the command line; ``make run`` sets it).
PASSWORD_ENV = "MOSTIK_DEMO_MANAGER_PASSWORD"
#: The demo buyer's password (``make run`` sets it from the Makefile's ``DEMO_BUYER_PASSWORD``).
BUYER_PASSWORD_ENV = "MOSTIK_DEMO_BUYER_PASSWORD"
MAX_BUYERS = 20_000


@click.command("seed-demo")
@with_appcontext
@click.option(
    "--products",
    type=click.IntRange(0, 5_000_000),
    default=2000,
    show_default=True,
    help="How many products to generate.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the catalogue already has data.")
def seed_demo_command(products: int, if_empty: bool) -> None:
    """Fill an empty database with a realistic, deterministic demo catalogue."""
    from demo.catalogue import is_seeded, seed_demo  # the word tables are read only here

    added = seed_shipping_methods(db.session())  # safe to repeat: only missing carriers are added
    # The privacy policy and the offer, version 1, with our details (only those not yet published).
    publish_defaults(db.session(), seller_of(current_app))
    db.session.commit()
    if added:
        click.echo(_("Shipping methods added: %(num)s.", num=added))
    if is_seeded(db.session()):
        if if_empty:
            click.echo(_("The catalogue already has data; demo data not added."))
            return
        click.echo(
            _("The catalogue already has data. Seed an empty database (flask --app wsgi db upgrade on a new file)."),
            err=True,
        )
        sys.exit(1)

    def progress(done: int, total: int) -> None:
        click.echo(_("Products: %(done)s of %(total)s", done=done, total=total), err=True)

    report = seed_demo(db.session(), products, progress=progress, media_root=Path(current_app.config["MEDIA_ROOT"]))
    click.echo(
        _(
            "Demo data added: %(categories)s categories, %(suppliers)s suppliers, %(products)s products, "
            "%(breaks)s price breaks in %(seconds)s s.",
            categories=report.categories,
            suppliers=report.suppliers,
            products=report.products,
            breaks=report.price_breaks,
            seconds=format_decimal(round(report.seconds, 1)),
        )
    )


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


@click.command("seed-demo-buyers")
@with_appcontext
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
        report = seed_demo_buyers(
            db.session(), count, manager_password=password, reorder_policy=current_app.extensions[POLICY_EXTENSION]
        )
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


@click.command("demo-buyer-login")
@with_appcontext
@click.option("--email", default="buyer@mostik.local", show_default=True, help="The demo buyer's sign-in.")
def demo_buyer_login_command(email: str) -> None:
    """Let one demo buyer with paid orders sign in at /account/login (password from MOSTIK_DEMO_BUYER_PASSWORD)."""
    password = os.environ.get(BUYER_PASSWORD_ENV)
    if not password:
        password = click.prompt(_("Password for the demo buyer"), hide_input=True, confirmation_prompt=True)
    try:
        buyer = demo_buyer_login(db.session(), email.strip().lower(), password)
    except DemoSeedError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(_("The demo buyer %(name)s signs in as %(email)s.", name=buyer.name, email=buyer.email))


@click.command("seed-demo-campaigns")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when a campaign has been sent already (make run).")
def seed_demo_campaigns_command(if_empty: bool) -> None:
    """Add a year of sent demo campaigns with opens, clicks and credited orders (no message is sent)."""
    session = db.session()
    if has_campaign_history(session):
        if if_empty:
            click.echo(_("Campaigns have been sent already; demo campaigns not added."))
            return
        click.echo(_("Campaigns have been sent already. Demo campaigns are only added where none was sent."), err=True)
        sys.exit(1)
    if not has_buyers(session):
        click.echo(_("There are no buyers: run flask --app wsgi crm seed-demo-buyers first."), err=True)
        sys.exit(1)
    history = seed_campaign_history(session)
    session.commit()
    click.echo(
        _(
            "Demo campaigns added: %(campaigns)s sent campaigns, %(messages)s messages, %(orders)s credited orders.",
            campaigns=history.campaigns,
            messages=history.messages,
            orders=history.orders,
        )
    )


def init_app(app: Flask) -> None:
    """Add ``seed-demo`` at the top level, ``seed-demo-buyers``, ``seed-demo-campaigns`` and ``demo-buyer-login``
    to the ``crm`` group."""
    app.cli.add_command(seed_demo_command)
    crm_group.add_command(seed_demo_buyers_command)
    crm_group.add_command(seed_demo_campaigns_command)
    crm_group.add_command(demo_buyer_login_command)
