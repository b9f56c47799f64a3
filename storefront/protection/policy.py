"""The protection's numbers and the buyer's view of them: the inspection window (express parcels or cargo), the
quality-claim window, the staff answer time per tier. Read from the config once by the entry points
(``ProtectionPolicy.from_config``); the functions here take it as a value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.fulfilment.models import CARGO_CARRIER, Carrier, Shipment
from storefront.order.models import MONEY_IN, Order, OrderStatus, PaymentStatus
from storefront.shipping.models import ShippingMethod


def parse_tier_days(raw: str) -> dict[str, int]:
    """«gold:3,platinum:3» → {"gold": 3, "platinum": 3}; ``ValueError`` for anything else."""
    days: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        code, _, number = item.partition(":")
        if not code.strip() or not number.strip().isdigit():
            raise ValueError(f"not «code:days»: {item!r}")
        days[code.strip()] = int(number)
    return days


@dataclass(frozen=True)
class ProtectionPolicy:
    express_days: int = 3
    cargo_days: int = 7
    claim_days: int = 30
    answer_days: int = 5
    answer_days_by_tier: Mapping[str, int] = field(default_factory=dict)
    photo_max_bytes: int = 10_000_000
    photo_max_pixels: int = 40_000_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ProtectionPolicy:
        return cls(
            express_days=config["INSPECTION_DAYS_EXPRESS"],
            cargo_days=config["INSPECTION_DAYS_CARGO"],
            claim_days=config["QUALITY_CLAIM_DAYS"],
            answer_days=config["DISPUTE_ANSWER_DAYS"],
            answer_days_by_tier=parse_tier_days(config["DISPUTE_ANSWER_DAYS_BY_TIER"]),
            photo_max_bytes=config["DISPUTE_PHOTO_MAX_BYTES"],
            photo_max_pixels=config["DISPUTE_PHOTO_MAX_PIXELS"],
        )

    def answer_days_for(self, tier_code: str | None) -> int:
        return self.answer_days_by_tier.get(tier_code or "", self.answer_days)


def travels_as_cargo(session: Session, order: Order) -> bool:
    """Consolidated cargo (a shipment by the Harbin cargo route or in a cargo batch, or — nothing shipped yet —
    a cargo shipping method) gets the longer inspection window; parcels by СДЭК or the post are express."""
    shipments = session.execute(
        select(Carrier.code, Shipment.batch_id)
        .join(Carrier, Carrier.id == Shipment.carrier_id)
        .where(Shipment.order_id == order.id)
    ).all()
    if shipments:
        return any(code == CARGO_CARRIER or batch_id is not None for code, batch_id in shipments)
    code = session.scalar(select(ShippingMethod.code).where(ShippingMethod.id == order.shipping_method_id))
    return code is not None and CARGO_CARRIER in code


def inspection_days(session: Session, order: Order, policy: ProtectionPolicy) -> int:
    return policy.cargo_days if travels_as_cargo(session, order) else policy.express_days


def inspection_ends_at(session: Session, order: Order, policy: ProtectionPolicy) -> datetime | None:
    """When the inspection window of a delivered order ends (None before delivery)."""
    if order.delivered_at is None:
        return None
    return order.delivered_at + timedelta(days=inspection_days(session, order, policy))


def claim_ends_at(order: Order, policy: ProtectionPolicy) -> datetime | None:
    if order.status != OrderStatus.COMPLETED or order.completed_at is None:
        return None
    return order.completed_at + timedelta(days=policy.claim_days)


def is_protected(order: Order) -> bool:
    """The money reached us: the order is covered (a refunded one was, and its history says how)."""
    return order.payment_status in MONEY_IN or order.payment_status == PaymentStatus.REFUNDED


@dataclass(frozen=True)
class Protection:
    """What the buyer's order page says about the protection."""

    protected: bool
    days: int
    cargo: bool
    claim_days: int
    #: The end of the inspection window, once delivered.
    deadline: datetime | None
    #: Time left of it (None: not delivered, or over).
    left: timedelta | None
    may_confirm: bool
    #: A dispute may be opened now: ``inspection`` or ``quality`` (a claim after confirmation), else None.
    may_open: str | None
    claim_until: datetime | None


def order_protection(session: Session, order: Order, policy: ProtectionPolicy, now: datetime) -> Protection:
    cargo = travels_as_cargo(session, order)
    days = policy.cargo_days if cargo else policy.express_days
    deadline = order.delivered_at + timedelta(days=days) if order.delivered_at is not None else None
    delivered = order.status == OrderStatus.DELIVERED
    in_window = delivered and deadline is not None and now < deadline
    claim_until = claim_ends_at(order, policy)
    may_open = None
    if not order.under_dispute and order.payment_status in MONEY_IN:
        if in_window:
            may_open = "inspection"
        elif claim_until is not None and now < claim_until:
            may_open = "quality"
    return Protection(
        protected=is_protected(order),
        days=days,
        cargo=cargo,
        claim_days=policy.claim_days,
        deadline=deadline,
        left=deadline - now if in_window and deadline is not None else None,
        may_confirm=delivered and not order.under_dispute,
        may_open=may_open,
        claim_until=claim_until,
    )
