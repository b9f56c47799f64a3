"""``flask crm recalc-reorders``."""

from __future__ import annotations

import click
from flask import current_app
from flask_babel import ngettext

from crm.cli import crm_group
from crm.reorder.services import POLICY_EXTENSION, recalc_reorders
from storefront.extensions import db


@crm_group.command("recalc-reorders")
def recalc_reorders_command() -> None:
    """Recompute every buyer's reorder statistics and status (set-based; safe to repeat)."""
    result = recalc_reorders(db.session(), policy=current_app.extensions[POLICY_EXTENSION])
    db.session.commit()
    click.echo(
        ngettext(
            "Reorder statistics recalculated for %(num)s buyer: %(due)s due, %(overdue)s overdue, %(lapsed)s lapsed.",
            "Reorder statistics recalculated for %(num)s buyers: %(due)s due, %(overdue)s overdue, %(lapsed)s lapsed.",
            result.buyers,
            due=result.by_status.get("due", 0),
            overdue=result.by_status.get("overdue", 0),
            lapsed=result.by_status.get("lapsed", 0),
        )
    )
