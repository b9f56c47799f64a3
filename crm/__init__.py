"""Mostik buyer CRM: the staff side. May import ``storefront``; never the reverse.

``init_app`` wires the blueprints under /crm (staff session and permission checks before every request; the
dashboard is /crm/ itself), the CLI groups (``staff``, ``crm``), the reorder policy (``CRM_REORDER_*``) and the
receivers of the storefront's ``order_paid`` (tier upgrades, reorder statistics) and ``order_refunded`` (reorder
statistics) signals.
"""

from __future__ import annotations

import logging
import os
from decimal import Decimal
from typing import Any

from flask import Blueprint, Flask
from sqlalchemy.orm import Session

from crm import models  # noqa: F401  (the CRM tables join the metadata)

bp = Blueprint("crm", __name__, url_prefix="/crm", template_folder="templates")
logger = logging.getLogger(__name__)


def _on_order_paid(sender: object, **fields: Any) -> None:
    """Upgrade the buyer's tier at once when a payment pushes their 12-month spend over a threshold."""
    from crm.tiers.services import upgrade_on_payment
    from storefront.extensions import db

    buyer_id = fields.get("buyer_id")
    if buyer_id is None:
        return
    with Session(db.engine) as session:
        try:
            change = upgrade_on_payment(session, buyer_id)
        except Exception:  # the payment is already committed; the nightly recalculation repairs a miss
            logger.exception("tier upgrade after order %s failed", fields.get("number"))
            return
        if change is not None:
            _send_tier_up_email(session, change.buyer_id, change.new_tier_id)


def _update_reorder_stats(sender: object, **fields: Any) -> None:
    """Keep the buyer's reorder statistics current after a payment or a refund (``order_paid``/``order_refunded``)."""
    from crm.reorder.services import update_buyer_stats
    from storefront.extensions import db

    buyer_id = fields.get("buyer_id")
    if buyer_id is None:
        return
    with Session(db.engine) as session:
        try:
            update_buyer_stats(session, buyer_id)
        except Exception:  # the payment is already committed; the nightly recompute repairs a miss
            logger.exception("reorder statistics after order %s failed", fields.get("number"))


def _send_tier_up_email(session: Session, buyer_id: int, tier_id: int | None) -> None:
    """The buyer's Russian «you moved up» email (a failure to send is logged by ``send_mail``)."""
    from babel.numbers import format_decimal
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from storefront.account.models import Buyer, Tier
    from storefront.emails import send_templated

    buyer, tier = session.get(Buyer, buyer_id), session.get(Tier, tier_id) if tier_id else None
    if buyer is None or tier is None or not buyer.is_active or tier.threshold_amount <= 0:
        return  # the first assignment of the base tier is no news
    with force_locale("ru"):
        subject = _("Your Mostik tier is now %(tier)s", tier=tier.name)
    discount = format_decimal(tier.discount_percent, locale="ru_RU")
    send_templated("tier_up", buyer.email, subject, buyer=buyer, tier=tier, discount=discount)


def _near_tier_percent(raw: str | None) -> Decimal:
    if raw is None or not raw.strip():
        return Decimal("10")
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except ArithmeticError:
        value = Decimal("-1")
    if not Decimal("0") < value <= Decimal("100"):
        raise ValueError(f"CRM_NEAR_TIER_PERCENT must be a percentage above 0 and up to 100, not {raw!r}")
    return value


def init_app(app: Flask) -> None:
    from crm.reorder.services import ReorderPolicy, configure
    from crm.staff.cli import staff_group
    from crm.tiers.cli import crm_group
    from storefront.events import order_paid, order_refunded

    app.config.setdefault("CRM_REORDER_DUE_DAYS", 14)
    app.config.setdefault("CRM_REORDER_LAPSE_MULTIPLE", 1.0)
    app.config.setdefault("CRM_REORDER_DEFAULT_INTERVAL_DAYS", 90.0)
    configure(
        ReorderPolicy(
            due_days=int(app.config["CRM_REORDER_DUE_DAYS"]),
            lapse_multiple=float(app.config["CRM_REORDER_LAPSE_MULTIPLE"]),
            default_interval_days=float(app.config["CRM_REORDER_DEFAULT_INTERVAL_DAYS"]),
        )
    )
    auth.init_app(app)
    # «Мои клиенты» alerts a VIP buyer whose 12-month spend is within this many percent of the next threshold.
    app.config.setdefault("CRM_NEAR_TIER_PERCENT", _near_tier_percent(os.environ.get("CRM_NEAR_TIER_PERCENT")))
    campaigns_init_app(app)
    app.register_blueprint(bp)
    # The links in campaign mail (pixel, click redirect, unsubscribe) are for buyers: outside /crm and its
    # staff checks (crm.auth's before_request hooks belong to ``bp`` only).
    app.register_blueprint(campaign_links_bp)
    app.cli.add_command(staff_group)
    app.cli.add_command(crm_group)
    order_paid.connect(_on_order_paid, weak=False)
    order_paid.connect(_update_reorder_stats, weak=False)
    order_refunded.connect(_update_reorder_stats, weak=False)


# The blueprint tree is built once, at import (Flask refuses setup calls after the first registration).
from crm import auth  # noqa: E402
from crm.audit import bp as audit_bp  # noqa: E402
from crm.audit import views as _audit_views  # noqa: E402, F401
from crm.buyers import bp as buyers_bp  # noqa: E402
from crm.buyers import views as _buyer_views  # noqa: E402, F401
from crm.campaigns import bp as campaigns_bp  # noqa: E402
from crm.campaigns import cli as _campaign_cli  # noqa: E402, F401
from crm.campaigns import init_app as campaigns_init_app  # noqa: E402
from crm.campaigns import jobs as _campaign_jobs  # noqa: E402, F401
from crm.campaigns import public_bp as campaign_links_bp  # noqa: E402
from crm.campaigns import public_views as _campaign_public_views  # noqa: E402, F401
from crm.campaigns import views as _campaign_views  # noqa: E402, F401
from crm.dashboard import views as _dashboard_views  # noqa: E402
from crm.orders import bp as orders_bp  # noqa: E402
from crm.orders import views as _order_views  # noqa: E402, F401
from crm.promo import bp as promo_bp  # noqa: E402
from crm.promo import views as _promo_views  # noqa: E402, F401
from crm.reorder import bp as reorder_bp  # noqa: E402
from crm.reorder import views as _reorder_views  # noqa: E402, F401
from crm.segments import bp as segments_bp  # noqa: E402
from crm.segments import views as _segment_views  # noqa: E402, F401
from crm.staff import bp as staff_bp  # noqa: E402
from crm.staff import views as _staff_views  # noqa: E402, F401
from crm.tiers import bp as tiers_bp  # noqa: E402
from crm.tiers import views as _tier_views  # noqa: E402, F401
from crm.workspace import bp as workspace_bp  # noqa: E402
from crm.workspace import views as _workspace_views  # noqa: E402, F401

# The landing page keeps the endpoint ``crm.dashboard`` (every template links to it).
bp.add_url_rule("/", "dashboard", _dashboard_views.dashboard, methods=["GET"])
bp.before_request(auth.load_staff)
bp.before_request(auth.deny_undeclared)
for _child in (
    staff_bp,
    audit_bp,
    tiers_bp,
    buyers_bp,
    orders_bp,
    workspace_bp,
    reorder_bp,
    segments_bp,
    promo_bp,
    campaigns_bp,
):
    bp.register_blueprint(_child)
