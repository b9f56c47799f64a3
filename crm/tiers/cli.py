"""``flask crm recalc-tiers`` and ``flask crm seed-tiers``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.tiers.services import recalc_tiers, seed_tiers
from storefront.extensions import db

crm_group = AppGroup("crm", help="The buyer CRM: tiers and reorder statistics.")


@crm_group.command("recalc-tiers")
def recalc_tiers_command() -> None:
    """Recompute every buyer's 12-month spend and tier (downgrades after the grace period)."""
    result = recalc_tiers(db.session())
    click.echo(
        _(
            "Tiers recalculated: %(up)s up, %(down)s down, %(grace)s in the grace period.",
            up=result.upgraded,
            down=result.downgraded,
            grace=result.in_grace,
        )
    )


@crm_group.command("recalc-reorders")
def recalc_reorders_command() -> None:
    """Recompute every buyer's reorder statistics and status (set-based; safe to repeat)."""
    from crm.reorder.services import recalc_reorders

    result = recalc_reorders(db.session())
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


@crm_group.command("seed-tiers")
def seed_tiers_command() -> None:
    """Add the default tiers (Стандарт, Серебро, Золото, Платина) that are missing."""
    click.echo(_("Tiers added: %(num)s.", num=seed_tiers(db.session())))
