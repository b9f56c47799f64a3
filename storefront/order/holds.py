"""How long an unpaid order holds its stock, and how many unpaid orders one client may hold at once.

Stock is reserved at placement (``services.reserve_stock``); an order still unpaid when its hold ends is canceled
and its stock released by the ``expire-unpaid-orders`` job. A card payment takes minutes, so a card order holds
its goods briefly (``ORDER_CARD_HOLD_MINUTES``); a method that needs longer (a bank transfer) gets the long hold
(``ORDER_PAYMENT_HOURS``). ``payment_hold`` is the one place that decides; a new method adds its case there.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


class PaymentMethod(enum.StrEnum):
    #: A bank card (and the other instant methods) through YooKassa: the checkout's only method today.
    CARD = "card"
    #: Paid by a bank transfer against an invoice: days, not minutes.
    BANK_TRANSFER = "bank_transfer"


@dataclass(frozen=True)
class HoldPolicy:
    """The settings the hold depends on, read once at the entry point (``from_config``)."""

    card: timedelta = timedelta(minutes=30)
    long: timedelta = timedelta(hours=24)
    #: Open unpaid orders one e-mail, one account or one client address may hold at once (0: no limit).
    unpaid_per_client: int = 3

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HoldPolicy:
        return cls(
            card=timedelta(minutes=config["ORDER_CARD_HOLD_MINUTES"]),
            long=timedelta(hours=config["ORDER_PAYMENT_HOURS"]),
            unpaid_per_client=config["UNPAID_ORDERS_PER_CLIENT"],
        )


def payment_hold(method: PaymentMethod | str, policy: HoldPolicy) -> timedelta:
    """How long an order paid by ``method`` keeps its goods reserved while unpaid."""
    if PaymentMethod(method) == PaymentMethod.CARD:
        return policy.card
    return policy.long
