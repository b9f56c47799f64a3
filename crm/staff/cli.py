"""``flask staff create --email E --role R``: the password is prompted, or read from MOSTIK_STAFF_PASSWORD."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from crm.staff.models import Role
from crm.staff.services import StaffError, create_staff, find_staff
from storefront.extensions import db

staff_group = AppGroup("staff", help="CRM staff accounts.")

PASSWORD_ENV = "MOSTIK_STAFF_PASSWORD"


@staff_group.command("create")
@click.option("--email", required=True, help="The staff member's email (their sign-in name).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The CRM role.")
@click.option("--name", default="", help="Display name.")
@click.option("--if-missing", is_flag=True, help="Do nothing when this email already has an account (demo set-up).")
def create_command(email: str, role: str, name: str, if_missing: bool) -> None:
    """Create a staff user. Never pass the password as an argument."""
    if if_missing and find_staff(db.session(), email) is not None:
        click.echo(_("A staff member with the email %(email)s already exists.", email=email.strip().lower()))
        return
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    try:
        staff = create_staff(db.session(), email=email, role=role, password=password, name=name)
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(_("Staff member created: %(email)s (%(role)s).", email=staff.email, role=staff.role))
