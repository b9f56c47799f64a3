"""Reading buyers for the CRM: the filtered list and everything the card shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from crm.tiers.models import BuyerProfile, TierChange
from crm.tiers.rules import Progress, progress_to_next, window_start
from crm.tiers.services import buyer_spend, tiers_in_order
from storefront.account.models import Buyer, Tier
from storefront.db import utcnow
from storefront.order.models import Order

PAGE_SIZE = 50


@dataclass(frozen=True)
class BuyerFilters:
    tier_id: int | None = None
    manager_id: int | None = None
    #: Name, company, email, phone digits or INN (substring, case-insensitive).
    search: str | None = None


@dataclass(frozen=True)
class BuyerRow:
    buyer: Buyer
    profile: BuyerProfile | None


@dataclass(frozen=True)
class BuyerPage:
    rows: list[BuyerRow]
    total: int
    page: int
    pages: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: BuyerFilters) -> list[object]:
    conditions = []
    if filters.tier_id is not None:
        conditions.append(Buyer.tier_id == filters.tier_id)
    if filters.manager_id is not None:
        conditions.append(BuyerProfile.manager_id == filters.manager_id)
    if filters.search:
        text = filters.search.strip()
        # SQLite's lower() folds only ASCII: match the text as typed, lower-cased and capitalised as well.
        variants = {text, text.lower(), text.capitalize(), text.title()}
        alternatives = [Buyer.email.like(f"%{_escape_like(text.lower())}%", escape="\\")]
        for variant in variants:
            pattern = f"%{_escape_like(variant)}%"
            alternatives += [
                func.lower(Buyer.name).like(f"%{_escape_like(variant.lower())}%", escape="\\"),
                Buyer.name.like(pattern, escape="\\"),
                Buyer.company_name.like(pattern, escape="\\"),
                func.lower(Buyer.company_name).like(f"%{_escape_like(variant.lower())}%", escape="\\"),
            ]
        alternatives.append(Buyer.inn.like(f"%{_escape_like(text)}%", escape="\\"))
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 4:
            # Phones are stored E.164 (+7…); people type 8 916…, so match on the last ten digits typed.
            alternatives.append(Buyer.phone.like(f"%{digits[-10:]}%"))
        conditions.append(or_(*alternatives))
    return conditions


def buyer_page(session: Session, filters: BuyerFilters, page: int = 1) -> BuyerPage:
    conditions = _conditions(filters)
    base = select(Buyer.id).outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id).where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    result = session.execute(
        select(Buyer, BuyerProfile)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
        .where(*conditions)
        .options(selectinload(Buyer.tier), selectinload(BuyerProfile.manager))
        .order_by(Buyer.name, Buyer.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return BuyerPage([BuyerRow(buyer, profile) for buyer, profile in result], total, page, pages)


EXPORT_LIMIT = 50_000


def export_rows(session: Session, filters: BuyerFilters) -> list[list[str]]:
    """The filtered buyers as CSV rows (header first), at most EXPORT_LIMIT."""
    result = session.execute(
        select(Buyer, BuyerProfile)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
        .where(*_conditions(filters))
        .options(selectinload(Buyer.tier), selectinload(BuyerProfile.manager))
        .order_by(Buyer.name, Buyer.id)
        .limit(EXPORT_LIMIT)
    ).all()
    rows = [["id", "name", "company", "inn", "email", "phone", "tier", "spend_12m", "manager"]]
    for buyer, profile in result:
        rows.append(
            [
                str(buyer.id),
                buyer.name,
                buyer.company_name or "",
                buyer.inn or "",
                buyer.email,
                buyer.phone or "",
                buyer.tier.name if buyer.tier else "",
                str(profile.spend_12m) if profile else "",
                profile.manager.email if profile and profile.manager else "",
            ]
        )
    return rows


@dataclass(frozen=True)
class BuyerCard:
    buyer: Buyer
    profile: BuyerProfile | None
    tiers: list[Tier]
    progress: Progress
    spend_12m: Decimal
    spend_lifetime: Decimal
    order_count: int
    orders: list[Order]
    history: list[TierChange]


def buyer_card(session: Session, buyer_id: int, now: datetime | None = None) -> BuyerCard | None:
    buyer = session.get(Buyer, buyer_id, options=[selectinload(Buyer.consents), selectinload(Buyer.tier)])
    if buyer is None:
        return None
    now = now or utcnow()
    tiers = tiers_in_order(session)
    spend_12m = buyer_spend(session, buyer_id, window_start(now))
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.buyer_id == buyer_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(100)
        )
    )
    history = list(
        session.scalars(
            select(TierChange)
            .where(TierChange.buyer_id == buyer_id)
            .options(selectinload(TierChange.old_tier), selectinload(TierChange.new_tier))
            .order_by(TierChange.created_at.desc(), TierChange.id.desc())
        )
    )
    return BuyerCard(
        buyer=buyer,
        profile=session.get(BuyerProfile, buyer_id),
        tiers=tiers,
        progress=progress_to_next(tiers, buyer.tier, spend_12m),
        spend_12m=spend_12m,
        spend_lifetime=buyer_spend(session, buyer_id, None),
        order_count=session.scalar(select(func.count()).where(Order.buyer_id == buyer_id)) or 0,
        orders=orders,
        history=history,
    )
