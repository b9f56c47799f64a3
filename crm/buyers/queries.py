"""Reading buyers for the CRM: the filtered list and everything the card shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from crm.buyers.models import BuyerProfile
from crm.reorder.models import BuyerStats
from crm.reorder.queries import status_condition
from crm.staff.models import StaffUser
from crm.tiers.models import TierChange
from crm.tiers.rules import Progress, progress_to_next, window_start
from crm.tiers.services import tiers_in_order
from crm.workspace.models import Note, Task, TaskStatus
from storefront.account.models import Address, Buyer, Tier
from storefront.account.queries import main_address
from storefront.db import utcnow
from storefront.maillog import SentEmail
from storefront.money import quantize_kopecks
from storefront.moscow import MOSCOW
from storefront.order.models import Order, OrderStatus
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState
from storefront.payment.spend import buyer_spend
from storefront.protection.models import Dispute
from storefront.quotes.models import Quote
from storefront.shipping.regions import region_name

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class BuyerFilters:
    tier_id: int | None = None
    manager_id: int | None = None
    #: Name, company, email, phone digits or INN (substring, case-insensitive).
    search: str | None = None
    #: Region code (``storefront.shipping.regions``) of the buyer's latest order, else of their first address.
    region: str | None = None
    #: 12-month spend range in roubles, both ends inclusive (the stored ``spend_12m`` the tiers use).
    spend_min: Decimal | None = None
    spend_max: Decimal | None = None
    #: Last order placed more than this many days ago, or never.
    inactive_days: int | None = None
    never_ordered: bool = False
    kind: str | None = None
    #: Buyers whose tier promises a dedicated manager but who have none.
    unassigned_vip: bool = False
    #: Reorder status (``crm.reorder``): new, active, due, overdue, lapsed.
    reorder_status: str | None = None
    #: Only these buyers (a list another query picked, e.g. the VIP buyers past their expected reorder).
    buyer_ids: tuple[int, ...] | None = None
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class BuyerRow:
    id: int
    name: str
    company_name: str | None
    kind: str
    email: str
    phone: str | None
    inn: str | None
    created_at: datetime
    tier_name: str | None
    #: The tier promises a dedicated manager (Золото and above by default).
    tier_dedicated: bool
    manager_id: int | None
    manager_name: str | None
    spend_12m: Decimal
    last_order_at: datetime | None
    region_code: str | None

    @property
    def unassigned_vip(self) -> bool:
        return self.tier_dedicated and self.manager_id is None

    @property
    def region_name(self) -> str:
        return region_name(self.region_code) if self.region_code else ""


@dataclass(frozen=True)
class BuyerPage:
    rows: list[BuyerRow]
    total: int
    page: int
    pages: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def last_order_at_expr() -> ColumnElement[datetime]:
    """When the buyer last placed an order that was not canceled (NULL: never), correlated to ``buyers``."""
    return (
        select(func.max(Order.created_at))
        .where(Order.buyer_id == Buyer.id, Order.status != OrderStatus.CANCELED)
        .correlate(Buyer)
        .scalar_subquery()
    )


def region_expr() -> ColumnElement[str]:
    """The region of the buyer's latest order, else of their first saved address (NULL: neither)."""
    latest_order = (
        select(Order.region_code)
        .where(Order.buyer_id == Buyer.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
        .correlate(Buyer)
        .scalar_subquery()
    )
    return func.coalesce(latest_order, main_address(Address.region_code))


def buyer_search_condition(search: str) -> ColumnElement[bool]:
    text = search.strip()
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
    return or_(*alternatives)


def _filtered(filters: BuyerFilters, now: datetime) -> tuple[list[ColumnElement[bool]], list[Any]]:
    """The WHERE conditions and ORDER BY of the list (over ``buyers`` joined to profile and tier)."""
    spend = func.coalesce(BuyerProfile.spend_12m, Decimal("0"))
    last_order = last_order_at_expr()
    region = region_expr()
    conditions: list[ColumnElement[bool]] = []
    if filters.tier_id is not None:
        conditions.append(Buyer.tier_id == filters.tier_id)
    if filters.manager_id is not None:
        conditions.append(BuyerProfile.manager_id == filters.manager_id)
    if filters.buyer_ids is not None:
        conditions.append(Buyer.id.in_(filters.buyer_ids))
    if filters.search and filters.search.strip():
        conditions.append(buyer_search_condition(filters.search))
    if filters.region:
        conditions.append(region == filters.region)
    if filters.spend_min is not None:
        conditions.append(spend >= filters.spend_min)
    if filters.spend_max is not None:
        conditions.append(spend <= filters.spend_max)
    if filters.inactive_days is not None:
        cutoff = now - timedelta(days=filters.inactive_days)
        conditions.append(or_(last_order.is_(None), last_order < cutoff))
    if filters.never_ordered:
        conditions.append(last_order.is_(None))
    if filters.kind:
        conditions.append(Buyer.kind == filters.kind)
    if filters.reorder_status:
        conditions.append(Buyer.id.in_(select(BuyerStats.buyer_id).where(status_condition(filters.reorder_status))))
    if filters.unassigned_vip:
        conditions.append(Tier.dedicated_manager.is_(True))
        conditions.append(BuyerProfile.manager_id.is_(None))
    sort_column = {
        "name": func.lower(Buyer.name),
        "spend": spend,
        "last_order": last_order,
        "registered": Buyer.created_at,
    }.get(filters.sort, func.lower(Buyer.name))
    primary = sort_column.desc() if filters.descending else sort_column.asc()
    # Never-ordered buyers sort after everyone else either way; the id makes pages stable.
    return conditions, [primary.nulls_last(), Buyer.id.desc() if filters.descending else Buyer.id.asc()]


def list_select(filters: BuyerFilters, now: datetime, limit: int, offset: int = 0) -> Select[*tuple[Any, ...]]:
    """ONE SELECT of a page of the list with every column a row shows, and the total.

    The inner query filters and sorts buyer ids (computing region or last order only when a filter or the sort
    needs them) and cuts the page; the outer one computes the shown columns for those rows only.
    """
    conditions, order = _filtered(filters, now)
    ranked = (
        select(
            Buyer.id.label("buyer_id"),
            func.row_number().over(order_by=order).label("position"),
            func.count().over().label("total_count"),
        )
        .select_from(Buyer)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
        .subquery("ranked")
    )
    manager = aliased(StaffUser)
    return (
        select(
            Buyer.id,
            Buyer.name,
            Buyer.company_name,
            Buyer.kind,
            Buyer.email,
            Buyer.phone,
            Buyer.inn,
            Buyer.created_at,
            Tier.name.label("tier_name"),
            func.coalesce(Tier.dedicated_manager, False).label("tier_dedicated"),
            BuyerProfile.manager_id,
            func.coalesce(func.nullif(manager.name, ""), manager.email).label("manager_name"),
            func.coalesce(BuyerProfile.spend_12m, Decimal("0")).label("spend_12m"),
            last_order_at_expr().label("last_order_at"),
            region_expr().label("region_code"),
            ranked.c.total_count,
        )
        .select_from(ranked)
        .join(Buyer, Buyer.id == ranked.c.buyer_id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .outerjoin(manager, manager.id == BuyerProfile.manager_id)
        .order_by(ranked.c.position)
    )


def list_row(values: Any) -> BuyerRow:
    return BuyerRow(**{field: values._mapping[field] for field in BuyerRow.__dataclass_fields__})


def buyer_page(session: Session, filters: BuyerFilters, page: int = 1, now: datetime | None = None) -> BuyerPage:
    """One page of the list in ONE query (the total comes along as ``count(*) OVER ()``)."""
    now = now or utcnow()
    page = max(page, 1)
    result = session.execute(list_select(filters, now, PAGE_SIZE, (page - 1) * PAGE_SIZE)).all()
    if not result and page > 1:
        # Past the last page (an old link): count, then show the last page.
        conditions, _ = _filtered(filters, now)
        total = (
            session.scalar(
                select(func.count(Buyer.id))
                .select_from(Buyer)
                .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
                .outerjoin(Tier, Tier.id == Buyer.tier_id)
                .where(*conditions)
            )
            or 0
        )
        pages = max(1, -(-total // PAGE_SIZE))
        return buyer_page(session, filters, pages, now) if total else BuyerPage([], 0, 1, 1)
    total = result[0].total_count if result else 0
    return BuyerPage([list_row(values) for values in result], total, page, max(1, -(-total // PAGE_SIZE)))


def export_rows(session: Session, filters: BuyerFilters, now: datetime | None = None) -> list[list[str]]:
    """The filtered, sorted buyers as CSV rows (header first), at most EXPORT_LIMIT."""
    result = session.execute(list_select(filters, now or utcnow(), EXPORT_LIMIT)).all()
    rows = [
        [
            "id",
            "name",
            "company",
            "kind",
            "inn",
            "email",
            "phone",
            "region",
            "tier",
            "spend_12m",
            "last_order_at",
            "registered_at",
            "manager",
        ]
    ]
    for values in result:
        row = list_row(values)
        rows.append(
            [
                str(row.id),
                row.name,
                row.company_name or "",
                row.kind,
                row.inn or "",
                row.email,
                row.phone or "",
                row.region_code or "",
                row.tier_name or "",
                str(row.spend_12m),
                row.last_order_at.isoformat() if row.last_order_at else "",
                row.created_at.isoformat(),
                row.manager_name or "",
            ]
        )
    return rows


def expected_next_order(session: Session, buyer_id: int) -> date | None:
    """The buyer's expected next order date (Moscow calendar day), from their own order intervals (``crm.reorder``)."""
    expected = session.scalar(select(BuyerStats.expected_next_at).where(BuyerStats.buyer_id == buyer_id))
    return expected.astimezone(MOSCOW).date() if expected is not None else None


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    #: ``order_placed``, ``payment``, ``refund``, ``tier_change``, ``note``, ``task_created``, ``task_closed``,
    #: ``email``, ``dispute_opened``, ``dispute_decided`` (``extra``: the decision), ``quote``; the template words each.
    kind: str
    #: What it is about: the order number, note text, task title, e-mail subject, «old → new» tier.
    text: str = ""
    amount: Decimal | None = None
    #: Who did it (staff name), or the task's final status; a quote's id.
    extra: str = ""
    #: A quote's step: ``draft``, ``sent``, ``accepted``, ``expired``, ``withdrawn``.
    status: str = ""


TIMELINE_LIMIT = 100


def buyer_timeline(session: Session, buyer_id: int, limit: int = TIMELINE_LIMIT) -> list[TimelineEvent]:
    """Everything that happened to the buyer, newest first: one query per kind, merged here."""
    events: list[TimelineEvent] = []
    newest = limit  # each source contributes at most ``limit``; the merge keeps the newest ``limit``
    for number, at, total in session.execute(
        select(Order.number, Order.created_at, Order.total_amount)
        .where(Order.buyer_id == buyer_id)
        .order_by(Order.created_at.desc())
        .limit(newest)
    ):
        events.append(TimelineEvent(at, "order_placed", number or "", total))
    for number, paid_at, amount in session.execute(
        select(Order.number, Payment.succeeded_at, Payment.amount)
        .join(Order, Order.id == Payment.order_id)
        .where(Order.buyer_id == buyer_id, Payment.status == AttemptStatus.SUCCEEDED, Payment.succeeded_at.is_not(None))
        .order_by(Payment.succeeded_at.desc())
        .limit(newest)
    ):
        assert paid_at is not None  # succeeded payments only (the WHERE above)
        events.append(TimelineEvent(paid_at, "payment", number or "", amount))
    for number, at, amount in session.execute(
        select(Order.number, Refund.updated_at, Refund.amount)
        .join(Order, Order.id == Refund.order_id)
        .where(Order.buyer_id == buyer_id, Refund.status == RefundState.SUCCEEDED)
        .order_by(Refund.updated_at.desc())
        .limit(newest)
    ):
        events.append(TimelineEvent(at, "refund", number or "", amount))
    old_tier, new_tier = aliased(Tier), aliased(Tier)
    for at, old_name, new_name, reason in session.execute(
        select(TierChange.created_at, old_tier.name, new_tier.name, TierChange.reason)
        .outerjoin(old_tier, old_tier.id == TierChange.old_tier_id)
        .outerjoin(new_tier, new_tier.id == TierChange.new_tier_id)
        .where(TierChange.buyer_id == buyer_id)
        .order_by(TierChange.created_at.desc())
        .limit(newest)
    ):
        events.append(TimelineEvent(at, "tier_change", f"{old_name or '—'} → {new_name or '—'}", extra=reason))
    author = aliased(StaffUser)
    for at, body, name, email in session.execute(
        select(Note.created_at, Note.body, author.name, author.email)
        .outerjoin(author, author.id == Note.author_id)
        .where(Note.buyer_id == buyer_id)
        .order_by(Note.created_at.desc())
        .limit(newest)
    ):
        events.append(TimelineEvent(at, "note", body, extra=name or email or ""))
    for created, closed, title, status in session.execute(
        select(Task.created_at, Task.closed_at, Task.title, Task.status)
        .where(Task.buyer_id == buyer_id)
        .order_by(Task.created_at.desc())
        .limit(newest)
    ):
        events.append(TimelineEvent(created, "task_created", title))
        if closed is not None:
            events.append(TimelineEvent(closed, "task_closed", title, extra=status))
    for number, opened, decided, decision, returned in session.execute(
        select(Order.number, Dispute.opened_at, Dispute.decided_at, Dispute.decision, Dispute.refund_amount)
        .join(Order, Order.id == Dispute.order_id)
        .where(Order.buyer_id == buyer_id)
        .order_by(Dispute.opened_at.desc())
        .limit(newest)
    ):
        events.append(TimelineEvent(opened, "dispute_opened", number or ""))
        if decided is not None:
            events.append(TimelineEvent(decided, "dispute_decided", number or "", returned, extra=decision or ""))
    for at, subject in session.execute(
        select(SentEmail.sent_at, SentEmail.subject)
        .where(SentEmail.buyer_id == buyer_id)
        .order_by(SentEmail.sent_at.desc())
        .limit(newest)
    ):
        events.append(TimelineEvent(at, "email", subject))
    for quote in session.scalars(
        select(Quote).where(Quote.buyer_id == buyer_id).order_by(Quote.created_at.desc()).limit(newest)
    ):
        steps = ((quote.created_at, "draft"), (quote.sent_at, "sent"), (quote.accepted_at, "accepted"))
        for moment, step in (*steps, (quote.closed_at, str(quote.status))):
            if moment is not None:
                events.append(TimelineEvent(moment, "quote", quote.number, extra=str(quote.id), status=step))
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:limit]


@dataclass(frozen=True)
class BuyerCard:
    buyer: Buyer
    profile: BuyerProfile | None
    tiers: list[Tier]
    progress: Progress
    spend_12m: Decimal
    spend_lifetime: Decimal
    order_count: int
    paid_order_count: int
    average_order: Decimal | None
    orders: list[Order]
    history: list[TierChange]
    expected_next_order: date | None
    notes: list[Note]
    tasks: list[Task]
    timeline: list[TimelineEvent]


def buyer_card(session: Session, buyer_id: int, now: datetime | None = None, full: bool = True) -> BuyerCard | None:
    """Everything the card shows; with ``full=False`` (a summary) notes, tasks and the timeline stay empty."""
    buyer = session.get(Buyer, buyer_id, options=[selectinload(Buyer.consents), selectinload(Buyer.tier)])
    if buyer is None:
        return None
    now = now or utcnow()
    tiers = tiers_in_order(session)
    spend_12m = buyer_spend(session, buyer_id, window_start(now))
    spend_lifetime = buyer_spend(session, buyer_id, None)
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
    order_count, paid_count = session.execute(
        select(func.count(), func.count(Order.paid_at)).where(Order.buyer_id == buyer_id)
    ).one()
    notes: list[Note] = []
    tasks: list[Task] = []
    timeline: list[TimelineEvent] = []
    if full:
        notes = list(
            session.scalars(
                select(Note)
                .where(Note.buyer_id == buyer_id)
                .options(selectinload(Note.author))
                .order_by(Note.created_at.desc(), Note.id.desc())
            )
        )
        tasks = list(
            session.scalars(
                select(Task)
                .where(Task.buyer_id == buyer_id)
                .options(selectinload(Task.assignee))
                # Open tasks first, soonest due on top; closed ones after, latest first.
                .order_by((Task.status != TaskStatus.OPEN), Task.due_at, Task.id)
            )
        )
        timeline = buyer_timeline(session, buyer_id)
    return BuyerCard(
        buyer=buyer,
        profile=session.get(BuyerProfile, buyer_id),
        tiers=tiers,
        progress=progress_to_next(tiers, buyer.tier, spend_12m),
        spend_12m=spend_12m,
        spend_lifetime=spend_lifetime,
        order_count=order_count,
        paid_order_count=paid_count,
        average_order=quantize_kopecks(spend_lifetime / paid_count) if paid_count else None,
        orders=orders,
        history=history,
        expected_next_order=expected_next_order(session, buyer_id),
        notes=notes,
        tasks=tasks,
        timeline=timeline,
    )


def manager_of(session: Session, buyer_id: int) -> int | None:
    """The buyer's account manager (staff id), if one is assigned."""
    return session.scalar(select(BuyerProfile.manager_id).where(BuyerProfile.buyer_id == buyer_id))
