"""What a tier gives, said plainly: the ONE place that turns a tier's columns and the shop's settings into the
sentences the buyer's account page and the CRM card show (current tier, next tier, spend still needed).

The tier's own columns (discount, free shipping, personal manager, deferred payment, perks) come from
``storefront.account.models.Tier``; the shop's settings are passed in as ``TierTerms`` (the dispute answer time per
tier from ``storefront.protection.policy``, the goods total from which shipping is free for everyone from
``storefront.shipping.services.free_shipping_from``) so this module imports neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from flask_babel import gettext as _
from flask_babel import ngettext

from storefront.account.models import Tier
from storefront.account.tier_progress import progress_to_next
from storefront.i18n import format_percent, format_rub_whole
from storefront.vocabulary import tier_text


class AnswerTimes(Protocol):
    """``storefront.protection.policy.ProtectionPolicy``: days staff have to answer a dispute, per tier code."""

    def answer_days_for(self, tier_code: str | None) -> int: ...


@dataclass(frozen=True)
class TierTerms:
    answer_times: AnswerTimes
    #: Goods total from which shipping is free whatever the tier (None: never).
    free_shipping_from: Decimal | None = None


def base_tier(tiers: Sequence[Tier]) -> Tier | None:
    """The first tier, where every buyer starts: the lowest one that needs no spend (None when every tier does)."""
    free = [tier for tier in tiers if tier.threshold_amount <= 0]
    return min(free, key=lambda tier: (tier.threshold_amount, tier.position, tier.id)) if free else None


def benefits(tier: Tier, terms: TierTerms) -> list[str]:
    """The tier's benefits as short sentences, most valuable first."""
    items = []
    if tier.discount_bp:
        items.append(_("Discount %(percent)s on goods", percent=format_percent(tier.discount_percent)))
    if tier.free_shipping:
        items.append(_("Free shipping on every order"))
    elif terms.free_shipping_from is not None:
        items.append(_("Free shipping from %(amount)s", amount=format_rub_whole(terms.free_shipping_from)))
    days = terms.answer_times.answer_days_for(tier.code)
    items.append(ngettext("We answer a dispute within %(num)s day", "We answer a dispute within %(num)s days", days))
    if tier.dedicated_manager:
        items.append(_("A dedicated account manager"))
    if tier.deferred_payment:
        items.append(_("Deferred payment"))
    if tier.perks:
        items.append(tier_text(tier.perks))
    return items


@dataclass(frozen=True)
class TierOutlook:
    """The current tier and the next one with what each gives, and how far the buyer is from the next."""

    #: The buyer's tier; a buyer without one is shown in the first tier (``base_tier``); None only when every tier
    #: needs spend and the buyer has not reached the lowest.
    tier: Tier | None
    tier_benefits: list[str]
    next_tier: Tier | None
    next_benefits: list[str]
    #: Spend still needed for ``next_tier`` (roubles, 12 months net of refunds).
    remaining: Decimal
    #: From the current threshold to the next one, 0–100.
    percent: int


def tier_outlook(tiers: Sequence[Tier], current: Tier | None, spend: Decimal, terms: TierTerms) -> TierOutlook:
    ordered = sorted(tiers, key=lambda tier: (tier.threshold_amount, tier.position, tier.id))
    tier = current if current is not None else base_tier(ordered)
    progress = progress_to_next(ordered, tier, spend)
    next_tier = next((t for t in ordered if t.id == progress.next_tier.id), None) if progress.next_tier else None
    return TierOutlook(
        tier=tier,
        tier_benefits=benefits(tier, terms) if tier is not None else [],
        next_tier=next_tier,
        next_benefits=benefits(next_tier, terms) if next_tier is not None else [],
        remaining=progress.remaining,
        percent=progress.percent,
    )
