"""Pure tier rules (no database): which tier a spend earns, progress to the next one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

# The spend window and progress are shared with the buyer's account page, so the storefront owns them.
from storefront.account.tier_progress import Progress, T, TierLike, progress_to_next
from storefront.payment.spend import WINDOW, window_start

#: The grace period before a downgrade.
GRACE = timedelta(days=30)

__all__ = ["GRACE", "WINDOW", "Progress", "T", "TierLike", "earned_tier", "progress_to_next", "window_start"]


def earned_tier(tiers: list[T], spend: Decimal) -> T | None:
    """The tier with the highest threshold not above ``spend`` (None when no tier starts that low)."""
    best = None
    for tier in tiers:
        if tier.threshold_amount <= spend and (best is None or tier.threshold_amount > best.threshold_amount):
            best = tier
    return best
