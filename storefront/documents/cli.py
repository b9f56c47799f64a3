"""``flask --app wsgi documents issue-missing``: the УПД of company orders delivered before the УПД existed (run
once after the deploy; safe to run again — an order never gets a second one). Messages in Russian for finance."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import ngettext

from storefront.documents import current_seller
from storefront.documents.upd import issue_missing
from storefront.extensions import db

documents_group = AppGroup("documents", help="Closing documents: issue the УПД missing for delivered orders.")


@documents_group.command("issue-missing")
def issue_missing_command() -> None:
    """Issue the УПД of every company order handed over without one, dated by its delivery."""
    issued = issue_missing(db.session(), current_seller())
    db.session.commit()
    click.echo(ngettext("%(num)d UPD issued.", "%(num)d UPDs issued.", len(issued)))
