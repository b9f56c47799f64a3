"""Pure tier rules (no database): which tier a spend earns, progress to the next one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar

#: The spend window and the grace period before a downgrade.
WINDOW = timedelta(days=365)
GRACE = timedelta(days=30)


class TierLike(Protocol):
    id: int
    threshold_amount: Decimal


T = TypeVar("T", bound=TierLike)


def window_start(now: datetime) -> datetime:
    """Payments at or after this instant count: 365 days old counts, 366 does not."""
    return now - WINDOW


def earned_tier(tiers: list[T], spend: Decimal) -> T | None:
    """The tier with the highest threshold not above ``spend`` (None when no tier starts that low)."""
    best = None
    for tier in tiers:
        if tier.threshold_amount <= spend and (best is None or tier.threshold_amount > best.threshold_amount):
            best = tier
    return best


@dataclass(frozen=True)
class Progress:
    next_tier: TierLike | None
    remaining: Decimal
    percent: int


def progress_to_next(tiers: list[T], current: T | None, spend: Decimal) -> Progress:
    floor = current.threshold_amount if current is not None else Decimal("0")
    higher = sorted((t for t in tiers if t.threshold_amount > floor), key=lambda t: t.threshold_amount)
    if not higher:
        return Progress(None, Decimal("0"), 100)
    target = higher[0]
    remaining = max(target.threshold_amount - spend, Decimal("0"))
    span = target.threshold_amount - floor
    done = min(max(spend - floor, Decimal("0")), span)
    return Progress(target, remaining, int(done * 100 / span) if span else 100)
