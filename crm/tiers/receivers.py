"""The tiers' receiver of the storefront's ``order_paid`` (connected by ``crm.init_app``): the upgrade on
payment and the buyer's «you moved up» e-mail."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from crm.tiers.services import upgrade_on_payment
from storefront.account.models import Buyer, Tier
from storefront.emails import mail_renderer, queue_templated
from storefront.extensions import db
from storefront.i18n import format_percent
from storefront.outbox import expect_mail

logger = logging.getLogger(__name__)


def upgrade_tier_on_payment(sender: object, **fields: Any) -> None:
    """Upgrade the buyer's tier at once when a payment pushes their 12-month spend over a threshold."""
    buyer_id = fields.get("buyer_id")
    if buyer_id is None:
        return
    with Session(db.engine) as session:
        try:
            change = upgrade_on_payment(session, buyer_id)
            if change is not None:
                expect_mail(session, "tier_up", buyer_id=change.buyer_id, tier_id=change.new_tier_id)
            session.commit()
        except Exception:  # the payment is already committed; the nightly recalculation repairs a miss
            logger.exception("tier upgrade after order %s failed", fields.get("number"))


@mail_renderer("tier_up")
def queue_tier_up_email(session: Session, buyer_id: int, tier_id: int | None) -> None:
    """The buyer's Russian «you moved up» email, written to the outbox with the upgrade."""
    buyer, tier = session.get(Buyer, buyer_id), session.get(Tier, tier_id) if tier_id else None
    if buyer is None or tier is None or not buyer.is_active or tier.threshold_amount <= 0:
        return  # the first assignment of the base tier is no news
    with force_locale("ru"):
        subject = _("Your Mostik tier is now %(tier)s", tier=tier.name)
        discount = format_percent(tier.discount_percent)
    queue_templated(session, "tier_up", buyer.email, subject, buyer=buyer, tier=tier, discount=discount)
