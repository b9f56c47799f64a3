"""Creating and deactivating promo codes (the table is the storefront's ``PromoCode``). Flushes; the view records
the audit entry and commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.db import rowcount
from storefront.errors import MessageError
from storefront.promo.models import PromoCode, PromoKind
from storefront.promo.services import normalize_code


class PromoError(MessageError):
    """A promo code refused, with the reason in Russian."""


@dataclass(frozen=True)
class PromoData:
    code: str
    kind: str
    percent: Decimal | None
    fixed_amount: Decimal | None
    min_order_amount: Decimal | None
    starts_at: datetime | None  # aware UTC
    ends_at: datetime | None
    usage_limit: int | None
    per_buyer_limit: int | None
    tier_codes: list[str] | None


def create_promo(session: Session, data: PromoData) -> PromoCode:
    """A new active code; ``PromoError`` (Russian message) when refused. Flushes; the caller commits."""
    code = normalize_code(data.code)
    if data.kind == PromoKind.PERCENT and (data.percent is None or not Decimal("0.01") <= data.percent <= 100):
        raise PromoError(_l("A percent discount needs a percent from 0,01 to 100."))
    if data.kind == PromoKind.FIXED and (data.fixed_amount is None or data.fixed_amount <= 0):
        raise PromoError(_l("A fixed discount needs an amount in roubles above zero."))
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        raise PromoError(_l("The code must end after it starts."))
    if session.scalar(select(PromoCode.id).where(PromoCode.code == code)) is not None:
        raise PromoError(_l("The code %(code)s already exists.", code=code))
    promo = PromoCode(
        code=code,
        kind=PromoKind(data.kind),
        percent_bp=int(data.percent * 100) if data.kind == PromoKind.PERCENT and data.percent else 0,
        fixed_amount=data.fixed_amount if data.kind == PromoKind.FIXED else None,
        min_order_amount=data.min_order_amount,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        usage_limit=data.usage_limit,
        per_buyer_limit=data.per_buyer_limit,
        tier_codes=data.tier_codes or None,
        used_count=0,
        is_active=True,
    )
    session.add(promo)
    try:
        session.flush()
    except IntegrityError as exc:  # the same code created concurrently (the caller rolls back)
        raise PromoError(_l("The code %(code)s already exists.", code=code)) from exc
    return promo


def deactivate_promo(session: Session, promo_id: int) -> bool:
    """Switch a code off (checkout then calls it unknown); False if it was already off. Idempotent. The caller
    records the audit entry (when it changed) and commits."""
    changed = rowcount(
        session.execute(
            update(PromoCode).where(PromoCode.id == promo_id, PromoCode.is_active.is_(True)).values(is_active=False)
        )
    )
    return bool(changed)


def _usable(now: datetime) -> ColumnElement[bool]:
    return and_(
        PromoCode.is_active.is_(True),
        PromoCode.campaign_id.is_(None),
        or_(PromoCode.starts_at.is_(None), PromoCode.starts_at <= now + timedelta(days=MAX_START_AHEAD_DAYS)),
        or_(PromoCode.ends_at.is_(None), PromoCode.ends_at > now),
        or_(PromoCode.usage_limit.is_(None), PromoCode.used_count < PromoCode.usage_limit),
    )


#: A campaign may announce a code that starts within this many days (a send scheduled ahead of the sale).
MAX_START_AHEAD_DAYS = 30


def usable_promo_codes(session: Session, now: datetime) -> list[PromoCode]:
    """The codes made under «Промокоды» that a campaign may hand out: switched on, not ended, uses left."""
    return list(session.scalars(select(PromoCode).where(_usable(now)).order_by(PromoCode.code).limit(500)))


def usable_promo(session: Session, code: str, now: datetime) -> PromoCode | None:
    """The code ``code`` if a campaign may hand it out now (see ``usable_promo_codes``), else None."""
    return session.scalar(select(PromoCode).where(PromoCode.code == normalize_code(code), _usable(now)))
