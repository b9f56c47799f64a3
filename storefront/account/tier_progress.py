"""Progress to the next tier (pure, no database): shared by the buyer's account page and the CRM card."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar


class TierLike(Protocol):
    id: int
    threshold_amount: Decimal


T = TypeVar("T", bound=TierLike)


@dataclass(frozen=True)
class Progress:
    #: The next tier up (None: the buyer is at the top).
    next_tier: TierLike | None
    #: Roubles of spend still needed for ``next_tier``.
    remaining: Decimal
    #: How far from the current tier's threshold to the next one, 0–100.
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
