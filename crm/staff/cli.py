"""``flask staff create --email E --role R``: the password is prompted, or read from MOSTIK_STAFF_PASSWORD."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from crm.staff.models import Role
from crm.staff.services import StaffError, create_staff
from storefront.extensions import db

staff_group = AppGroup("staff", help="CRM staff accounts.")

PASSWORD_ENV = "MOSTIK_STAFF_PASSWORD"


@staff_group.command("create")
@click.option("--email", required=True, help="The staff member's email (their sign-in name).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The CRM role.")
@click.option("--name", default="", help="Display name.")
def create_command(email: str, role: str, name: str) -> None:
    """Create a staff user. Never pass the password as an argument."""
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    try:
        staff = create_staff(db.session, email=email, role=role, password=password, name=name)
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(_("Staff member created: %(email)s (%(role)s).", email=staff.email, role=staff.role))
