"""Check a promo code against the cart and buyer; count its use atomically at order placement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storefront.errors import ShopError
from storefront.promo.models import PromoCode


class PromoInvalid(ShopError):
    """``reason`` is one of: unknown, not_started, expired, used_up, min_order, tier."""

    def __init__(self, reason: str, promo: PromoCode | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.promo = promo


def normalize_code(code: str) -> str:
    return (code or "").strip().upper()[:40]


def validate_promo(
    session: Session, code: str, goods_amount: Decimal, tier_code: str | None, now: datetime
) -> PromoCode:
    promo = session.scalars(select(PromoCode).where(PromoCode.code == normalize_code(code))).first()
    if promo is None or not promo.is_active:
        raise PromoInvalid("unknown")
    if promo.starts_at is not None and now < promo.starts_at:
        raise PromoInvalid("not_started", promo)
    if promo.ends_at is not None and now >= promo.ends_at:
        raise PromoInvalid("expired", promo)
    if promo.usage_limit is not None and promo.used_count >= promo.usage_limit:
        raise PromoInvalid("used_up", promo)
    if promo.min_order_amount is not None and goods_amount < promo.min_order_amount:
        raise PromoInvalid("min_order", promo)
    if promo.tier_codes and tier_code not in promo.tier_codes:
        raise PromoInvalid("tier", promo)
    return promo


def claim_promo_use(session: Session, promo_id: int) -> None:
    """Count one use in one conditional UPDATE (two last-use races cannot both win). Flushes."""
    claimed = session.execute(
        update(PromoCode)
        .where(PromoCode.id == promo_id)
        .where(or_(PromoCode.usage_limit.is_(None), PromoCode.used_count < PromoCode.usage_limit))
        .values(used_count=PromoCode.used_count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise PromoInvalid("used_up")
