"""``flask crm recalc-tiers`` and ``flask crm seed-tiers``."""

from __future__ import annotations

import click
from flask_babel import gettext as _

from crm.cli import crm_group
from crm.tiers.services import recalc_tiers, seed_tiers
from storefront.extensions import db


@crm_group.command("recalc-tiers")
def recalc_tiers_command() -> None:
    """Recompute every buyer's 12-month spend and tier (downgrades after the grace period)."""
    result = recalc_tiers(db.session())
    db.session.commit()
    click.echo(
        _(
            "Tiers recalculated: %(up)s up, %(down)s down, %(grace)s in the grace period.",
            up=result.upgraded,
            down=result.downgraded,
            grace=result.in_grace,
        )
    )


@crm_group.command("seed-tiers")
def seed_tiers_command() -> None:
    """Add the default tiers (Стандарт, Серебро, Золото, Платина) that are missing."""
    added = seed_tiers(db.session())
    db.session.commit()
    click.echo(_("Tiers added: %(num)s.", num=added))
