"""How long an unpaid order holds its stock, and how many unpaid orders one client may hold at once.

Stock is reserved at placement (``services.reserve_stock``); an order still unpaid when its hold ends is canceled
and its stock released by the ``expire-unpaid-orders`` job. A card payment takes minutes, so a card order holds
its goods briefly (``ORDER_CARD_HOLD_MINUTES``); a bank transfer against an invoice takes banking days, so it holds
them to the end (Moscow time) of the ``ORDER_BANK_TRANSFER_BANKING_DAYS``-th banking day after the day of placing
(the production calendar, ``storefront.workdays``). ``payment_hold`` is the one place that decides; a new method
adds its case there.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storefront.errors import ShopError
from storefront.moscow import moscow_day_end, to_moscow
from storefront.workdays import add_working_days


class PaymentMethod(enum.StrEnum):
    #: A bank card or СБП through YooKassa.
    CARD = "card"
    #: Paid by a bank transfer against an invoice: days, not minutes (companies and sole traders only).
    BANK_TRANSFER = "bank_transfer"


@dataclass(frozen=True)
class HoldPolicy:
    """The settings the hold depends on, read once at the entry point (``from_config``)."""

    card: timedelta = timedelta(minutes=30)
    #: A bank-transfer order is held to the end of this many banking days after the day it is placed.
    banking_days: int = 3
    #: Open unpaid orders one e-mail, one account or one client address may hold at once (0: no limit).
    unpaid_per_client: int = 3

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HoldPolicy:
        return cls(
            card=timedelta(minutes=config["ORDER_CARD_HOLD_MINUTES"]),
            banking_days=config["ORDER_BANK_TRANSFER_BANKING_DAYS"],
            unpaid_per_client=config["UNPAID_ORDERS_PER_CLIENT"],
        )


def bank_transfer_due(placed_at: datetime, banking_days: int) -> datetime:
    """The first instant (UTC) after the ``banking_days``-th banking day following the Moscow day of ``placed_at``:
    an order placed on Friday 4 December with 3 days is due by the end of Wednesday 9 December."""
    return moscow_day_end(add_working_days(to_moscow(placed_at).date(), banking_days))


def payment_hold(method: PaymentMethod | str, policy: HoldPolicy, now: datetime) -> timedelta:
    """How long an order placed at ``now`` to be paid by ``method`` keeps its goods reserved while unpaid."""
    if PaymentMethod(method) == PaymentMethod.BANK_TRANSFER:
        return bank_transfer_due(now, policy.banking_days) - now
    return policy.card


class PaymentMethodNotOffered(ShopError):
    """Paying by invoice was asked for by a person, or while our bank requisites are not configured."""


def offered_methods(*, company: bool, bank_transfers: bool) -> tuple[PaymentMethod, ...]:
    """The ways a buyer may pay: online always; by invoice a company or sole trader, and only when our bank
    requisites are configured (``Seller.takes_bank_transfers``)."""
    if company and bank_transfers:
        return (PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER)
    return (PaymentMethod.CARD,)
