"""Check a promo code against the cart and buyer; count its use atomically at order placement.

Two limits, both race-safe in the order's own transaction:
- the total ``usage_limit``: one conditional UPDATE of ``used_count`` (two last-use races cannot both win);
- the ``per_buyer_limit``: a ``promo_uses`` row whose (code, holder, seq) is unique, with seq ≤ the limit, so two
  orders of one buyer racing for their last use collide on the constraint and one is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.db import rowcount
from storefront.errors import ShopError
from storefront.promo.models import PromoCode, PromoUse


class PromoInvalid(ShopError):
    """``reason`` is one of: unknown, not_started, expired, used_up, buyer_used, min_order, tier."""

    def __init__(self, reason: str, promo: PromoCode | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.promo = promo


def normalize_code(code: str) -> str:
    return (code or "").strip().upper()[:40]


GUEST_HOLDER = "email:"


def holder_key(buyer_id: int | None, email: str | None) -> str | None:
    """Whose uses a per-buyer limit counts: the account, or the e-mail of a guest."""
    if buyer_id is not None:
        return f"buyer:{buyer_id}"
    if email:
        return f"{GUEST_HOLDER}{email.strip().lower()}"[:270]
    return None


def uses_by(session: Session, promo_id: int, holder: str) -> int:
    return session.execute(
        select(func.count(PromoUse.id)).where(PromoUse.promo_id == promo_id, PromoUse.holder == holder)
    ).scalar_one()


def validate_promo(
    session: Session,
    code: str,
    goods_amount: Decimal,
    tier_code: str | None,
    now: datetime,
    holder: str | None = None,
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
    if promo.per_buyer_limit is not None and holder is not None:
        if holder.startswith(GUEST_HOLDER):
            # A guest's e-mail is unverified: anyone could spend someone else's share, or type a new address
            # for every order. A code limited per buyer is for signed-in buyers.
            raise PromoInvalid("account_needed", promo)
        if uses_by(session, promo.id, holder) >= promo.per_buyer_limit:
            raise PromoInvalid("buyer_used", promo)
    if promo.min_order_amount is not None and goods_amount < promo.min_order_amount:
        raise PromoInvalid("min_order", promo)
    if promo.tier_codes and tier_code not in promo.tier_codes:
        raise PromoInvalid("tier", promo)
    return promo


def claim_promo_use(
    session: Session, promo_id: int, order_id: int | None = None, holder: str | None = None, buyer_id: int | None = None
) -> None:
    """Count one use of the code by this order, in the caller's transaction. Flushes; ``PromoInvalid`` if the
    code or the holder's share of it is used up (the caller rolls the whole order back)."""
    claimed = rowcount(
        session.execute(
            update(PromoCode)
            .where(PromoCode.id == promo_id)
            .where(or_(PromoCode.usage_limit.is_(None), PromoCode.used_count < PromoCode.usage_limit))
            .values(used_count=PromoCode.used_count + 1)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        raise PromoInvalid("used_up")
    if order_id is None or holder is None:
        return
    limit = session.scalar(select(PromoCode.per_buyer_limit).where(PromoCode.id == promo_id))
    seq = None
    if limit is not None:
        # The lowest free place: a canceled order's use gives its place back (release_promo_use).
        taken = set(
            session.scalars(select(PromoUse.seq).where(PromoUse.promo_id == promo_id, PromoUse.holder == holder))
        )
        seq = next((place for place in range(1, limit + 1) if place not in taken), None)
        if seq is None:
            raise PromoInvalid("buyer_used")
    try:
        # A savepoint: a concurrent order of the same holder that took this seq first makes ours collide.
        with session.begin_nested():
            session.execute(
                insert(PromoUse).values(promo_id=promo_id, order_id=order_id, buyer_id=buyer_id, holder=holder, seq=seq)
            )
    except IntegrityError as exc:
        raise PromoInvalid("buyer_used") from exc


def release_promo_use(session: Session, order_id: int) -> bool:
    """Give back the use a canceled order took (its code counts it no more, nor the holder's share). Once: the
    delete of the order's use row decides, so a second cancel or a concurrent one gives nothing back. Flushes."""
    promo_id = session.scalar(delete(PromoUse).where(PromoUse.order_id == order_id).returning(PromoUse.promo_id))
    if promo_id is None:
        return False
    session.execute(
        update(PromoCode)
        .where(PromoCode.id == promo_id, PromoCode.used_count > 0)
        .values(used_count=PromoCode.used_count - 1)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return True


# --- unique per-recipient codes (campaigns) -------------------------------------------------------------------

#: No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read from a phone screen or dictated cannot be mistyped into another.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_RANDOM_LENGTH = 8


@dataclass(frozen=True)
class PromoTemplate:
    """What every issued code shares; ``prefix`` (A–Z, digits) starts each code, e.g. ``SPB-``."""

    kind: str
    percent_bp: int = 0
    fixed_amount: Decimal | None = None
    min_order_amount: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    tier_codes: list[str] | None = None
    prefix: str = ""
    #: Each unique code is for one recipient: one use by default.
    usage_limit: int | None = 1
    per_buyer_limit: int | None = 1


def random_code(prefix: str = "", length: int = CODE_RANDOM_LENGTH) -> str:
    return normalize_code(prefix) + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def issue_unique_codes(
    session: Session, template_code_params: PromoTemplate | dict[str, Any], count: int, campaign_id: int | None
) -> list[str]:
    """Create ``count`` single-recipient codes for a campaign in bulk inserts; returns them. Flushes, does not
    commit (the campaign's use case does). The unique index on ``code`` is the judge: a batch that collides with
    an existing code (≈ never with 25⁸ codes) is drawn again inside a savepoint."""
    params = template_code_params
    if isinstance(params, dict):
        params = PromoTemplate(**params)
    if count < 0 or count > 1_000_000:
        raise ValueError("count must be between 0 and 1,000,000")
    issued: list[str] = []
    batch_size = 1000
    while len(issued) < count:
        wanted = min(batch_size, count - len(issued))
        codes: set[str] = set()
        while len(codes) < wanted:
            codes.add(random_code(params.prefix))
        rows: list[dict[str, Any]] = [
            dict(
                code=code,
                kind=params.kind,
                percent_bp=params.percent_bp,
                fixed_amount=params.fixed_amount,
                min_order_amount=params.min_order_amount,
                starts_at=params.starts_at,
                ends_at=params.ends_at,
                usage_limit=params.usage_limit,
                per_buyer_limit=params.per_buyer_limit,
                used_count=0,
                tier_codes=params.tier_codes,
                campaign_id=campaign_id,
                is_active=True,
            )
            for code in sorted(codes)
        ]
        try:
            with session.begin_nested():
                session.execute(insert(PromoCode), rows)
        except IntegrityError:
            continue
        issued.extend(row["code"] for row in rows)
    return issued
