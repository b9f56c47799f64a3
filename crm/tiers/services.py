"""Tier policy and assignment.

A buyer's spend = succeeded payments on their orders in the last 365 days, minus the succeeded refunds of those
payments (a refund lowers the spend of the payment it returns): ``storefront.payment.spend``, the one definition
the buyer's account page shares. All sums are done in SQL on the integer kopeck columns, exact on both engines.

- ``upgrade_on_payment``: after ``order_paid``; only ever raises the tier (at once).
- ``set_manual_tier``: staff pin a tier with a reason until an expiry; while it holds, neither payments nor the
  recalculation move the buyer; after it, the normal rules apply (a downgrade still waits out the grace period).
- ``recalc_tiers``: every buyer in a few set-based statements; upgrades at once, downgrades only after the buyer
  has been below the current tier's threshold for the grace period. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Insert,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.buyers.services import profile_for
from crm.tiers import reasons
from crm.tiers.models import TierChange
from crm.tiers.rules import GRACE, earned_tier, window_start
from storefront.account.models import Buyer, Tier
from storefront.db import utcnow
from storefront.errors import ShopError
from storefront.jobs import periodic
from storefront.payment.spend import buyer_spend, net_paid_by_buyer

#: Defaults for this market: mid-size buyers spend roughly 1–3 million roubles a year. Серебро from 300 000 ₽
#: (a couple of typical orders), Золото from 1 200 000 ₽ (a regular buyer), Платина from 3 000 000 ₽ (the top).
DEFAULT_TIERS = (
    dict(code="standard", name="Стандарт", threshold_amount=Decimal("0"), discount_bp=0, perks=""),
    dict(code="silver", name="Серебро", threshold_amount=Decimal("300000"), discount_bp=200, perks=""),
    dict(
        code="gold",
        name="Золото",
        threshold_amount=Decimal("1200000"),
        discount_bp=400,
        free_shipping=True,
        dedicated_manager=True,
        perks="",
    ),
    dict(
        code="platinum",
        name="Платина",
        threshold_amount=Decimal("3000000"),
        discount_bp=700,
        free_shipping=True,
        dedicated_manager=True,
        # Only what the columns do not say already (the benefits list words those: storefront.account.tier_benefits).
        perks="Приоритетная сборка",
    ),
)


def seed_tiers(session: Session) -> int:
    """Add the default tiers that are missing (by code); returns how many were added. Idempotent."""
    existing = set(session.scalars(select(Tier.code)))
    added = 0
    for position, fields in enumerate(DEFAULT_TIERS):
        if fields["code"] not in existing:
            session.add(Tier(position=position, **fields))
            added += 1
    session.flush()
    return added


def tiers_in_order(session: Session) -> list[Tier]:
    return list(session.scalars(select(Tier).order_by(Tier.threshold_amount, Tier.id)))


class TierCodeTaken(ShopError):
    pass


@dataclass(frozen=True)
class TierData:
    code: str
    name: str
    threshold_amount: Decimal
    discount_percent: Decimal
    free_shipping: bool
    dedicated_manager: bool
    perks: str


def save_tier(session: Session, tier: Tier | None, data: TierData) -> Tier:
    """Create or update one tier (positions follow thresholds); ``TierCodeTaken`` if another tier has the code."""
    taken = session.scalar(select(Tier.id).where(Tier.code == data.code))
    if taken is not None and (tier is None or taken != tier.id):
        raise TierCodeTaken(data.code)
    if tier is None:
        tier = Tier(code=data.code)
        session.add(tier)
    tier.code = data.code
    tier.name = data.name
    tier.threshold_amount = data.threshold_amount
    tier.discount_bp = int(data.discount_percent * 100)
    tier.free_shipping = data.free_shipping
    tier.dedicated_manager = data.dedicated_manager
    tier.perks = data.perks
    session.flush()
    for position, each in enumerate(tiers_in_order(session)):
        each.position = position
    session.flush()
    return tier


# --- spend (the shared definition lives in storefront.payment.spend) ------------------------------------------


def upgrade_on_payment(session: Session, buyer_id: int, now: datetime | None = None) -> TierChange | None:
    """Recompute one buyer's spend; move them up at once if it earns a higher tier. Never moves down."""
    now = now or utcnow()
    buyer = session.get(Buyer, buyer_id, with_for_update=session.get_bind().dialect.name == "postgresql")
    if buyer is None:
        return None
    spend = buyer_spend(session, buyer_id, window_start(now))
    target = earned_tier(tiers_in_order(session), spend)
    profile = profile_for(session, buyer_id)
    profile.spend_12m = spend
    profile.earned_tier_id = target.id if target is not None else None
    profile.computed_at = now
    change = None
    current = buyer.tier
    # A manual tier in force holds both ways until it expires.
    raises = target is not None and (current is None or target.threshold_amount > current.threshold_amount)
    if target is not None and raises and not profile.manual_active(now):
        change = TierChange(
            buyer_id=buyer_id, old_tier_id=buyer.tier_id, new_tier_id=target.id, spend_12m=spend, reason=reasons.PAYMENT
        )
        session.add(change)
        buyer.tier_id = target.id
        profile.below_since = None
    session.flush()
    return change


# --- the periodic recalculation (set-based) -------------------------------------------------------------------


@dataclass(frozen=True)
class RecalcResult:
    upgraded: int
    downgraded: int
    in_grace: int


def _tier_cases(session: Session) -> tuple[Any, Any]:
    """The tier policy as two SQL functions of a column: the tier a spend (kopecks) earns, a tier's threshold.

    The policy is a handful of rows, so it goes into the statements as CASE expressions instead of a subquery
    per buyer row (PostgreSQL runs a correlated subquery once per row; a join per statement costs more than
    the whole CASE). Same rule as ``earned_tier``: the highest threshold not above the spend, on a tie the
    lower id; an unknown tier id has no threshold (NULL), as the subquery it replaces gave.
    """
    tiers = Tier.__table__
    policy = session.execute(
        select(tiers.c.id, type_coerce(tiers.c.threshold_amount, BigInteger)).order_by(
            tiers.c.threshold_amount.desc(), tiers.c.id
        )
    ).all()

    def earned(spend: Any) -> Any:
        if not policy:
            return null()
        return case(*((spend >= threshold, literal(tier_id)) for tier_id, threshold in policy), else_=null())

    def threshold(tier_id: Any) -> Any:
        if not policy:
            return null()
        return case({each_id: literal(each_threshold) for each_id, each_threshold in policy}, value=tier_id)

    return earned, threshold


def recalc_tiers(session: Session, now: datetime | None = None, grace: timedelta = GRACE) -> RecalcResult:
    """Every buyer at once, in a handful of statements; safe to repeat (a second run changes nothing).

    Every statement is one pass over (a join of) whole tables: no ``IN``/``NOT IN`` over a subquery and no
    subquery per row, which PostgreSQL runs row by row once the set outgrows ``work_mem`` (the first run at
    100k buyers took 100 s that way).
    """
    now = now or utcnow()
    since = window_start(now)
    postgres = session.get_bind().dialect.name == "postgresql"
    profiles = BuyerProfile.__table__
    buyers = Buyer.__table__
    at_now = literal(now, type_=profiles.c.computed_at.type)
    earned_for, threshold_of = _tier_cases(session)

    # 1. Spend for everyone who paid in the window (paid sums net of refunds, aggregated once per buyer) into
    #    a temporary table: the later statements join it instead of running a sum per buyer.
    spend = _spend_table()
    temp_spend = f"{'pg_temp' if postgres else 'temp'}.{spend.name}"
    session.execute(text(f"DROP TABLE IF EXISTS {temp_spend}"))  # left over by a run that failed
    spend.create(session.connection())
    net = net_paid_by_buyer(since)
    session.execute(insert(spend).from_select(["buyer_id", "total"], select(net.c.buyer_id, net.c.total)))
    if postgres:
        session.execute(text(f"ANALYZE {temp_spend}"))
    # 2. A profile row, already with its spend and earned tier, for every buyer that has none (the first run:
    #    every buyer; written once instead of inserted and then updated). PostgreSQL: ON CONFLICT instead of NOT
    #    EXISTS, because the planner, seeing an empty (analysed) profile table, anti-joins by a nested loop that
    #    scans the table for every buyer while the insert fills it: quadratic, 270 s at 100k buyers.
    total = func.coalesce(spend.c.total, 0)
    new_profiles = select(buyers.c.id, total, earned_for(total), at_now).select_from(
        buyers.outerjoin(spend, spend.c.buyer_id == buyers.c.id)
    )
    columns = ["buyer_id", "spend_12m", "earned_tier_id", "computed_at"]
    add_missing: Insert
    if postgres:
        add_missing = pg_insert(profiles).from_select(columns, new_profiles).on_conflict_do_nothing()
    else:
        add_missing = insert(profiles).from_select(
            columns, new_profiles.where(~exists().where(profiles.c.buyer_id == buyers.c.id))
        )
    session.execute(add_missing)
    if postgres:
        # Fresh rows without statistics make the planner join them by nested loops; refresh them (0.1 s at 100k
        # buyers). Every run: psycopg reports no row count for this INSERT … SELECT (-1), so "only when rows
        # were created" cannot be told apart.
        session.execute(text("ANALYZE crm_buyer_profiles"))
    # 3. Spend and earned tier of the other profiles, writing only the rows that change: from the table for
    #    the buyers who paid; the others have spent nothing.
    for source, amount in ((spend, spend.c.total), (None, literal(0))):
        earned = earned_for(amount)
        statement = update(profiles).where(
            or_(
                profiles.c.spend_12m.is_distinct_from(amount),
                profiles.c.earned_tier_id.is_distinct_from(earned),
                profiles.c.computed_at.is_distinct_from(at_now),
            )
        )
        if source is not None:
            statement = statement.where(profiles.c.buyer_id == spend.c.buyer_id)
        else:
            statement = statement.where(~exists().where(spend.c.buyer_id == profiles.c.buyer_id))
        session.execute(
            statement.values(spend_12m=amount, earned_tier_id=earned, computed_at=at_now),
            execution_options={"synchronize_session": False},
        )
    session.execute(text(f"DROP TABLE {temp_spend}"))

    # 4. Start (or clear) the grace clock: below means the earned tier is lower than the current one (a manual
    #    tier in force is never below).
    # 4a. Overrides that have run out end now (the grace clock can start from here).
    session.execute(
        update(profiles)
        .where(profiles.c.manual_until.is_not(None), profiles.c.manual_until <= now)
        .values(manual_tier_id=None, manual_until=None, manual_reason=None),
        execution_options={"synchronize_session": False},
    )
    current_threshold = threshold_of(buyers.c.tier_id)
    earned_threshold = threshold_of(profiles.c.earned_tier_id)
    # Unknown (NULL) counts as not below, as ``NOT IN`` over the below set did.
    below = case(
        (
            and_(
                buyers.c.tier_id.is_not(None),
                profiles.c.manual_until.is_(None),
                or_(profiles.c.earned_tier_id.is_(None), earned_threshold < current_threshold),
            ),
            literal(1),
        ),
        else_=literal(0),
    )
    # 4b. One pass over buyers ⋈ profiles, writing only the rows whose clock starts or stops.
    session.execute(
        update(profiles)
        .where(
            profiles.c.buyer_id == buyers.c.id,
            or_(
                and_(below == 1, profiles.c.below_since.is_(None)),
                and_(below == 0, profiles.c.below_since.is_not(None)),
            ),
        )
        .values(below_since=case((below == 1, at_now), else_=null())),
        execution_options={"synchronize_session": False},
    )
    # 5. Who changes: up at once (or first assignment), down once the grace period has passed.
    up = or_(buyers.c.tier_id.is_(None), earned_threshold > current_threshold)
    down = and_(profiles.c.below_since.is_not(None), profiles.c.below_since <= now - grace)
    moving = and_(
        profiles.c.buyer_id == buyers.c.id,
        profiles.c.earned_tier_id.is_not(None),
        profiles.c.manual_until.is_(None),
        or_(up, down),
        or_(buyers.c.tier_id.is_(None), buyers.c.tier_id != profiles.c.earned_tier_id),
    )
    counts = session.execute(
        select(func.count().filter(up), func.count().filter(and_(~up, down)))
        .select_from(buyers, profiles)
        .where(moving)
    ).one()
    in_grace = session.scalar(
        select(func.count())
        .select_from(profiles)
        .where(profiles.c.below_since.is_not(None), profiles.c.below_since > now - grace)
    )
    session.execute(
        insert(TierChange.__table__).from_select(
            ["buyer_id", "old_tier_id", "new_tier_id", "spend_12m", "reason", "created_at"],
            select(
                buyers.c.id,
                buyers.c.tier_id,
                profiles.c.earned_tier_id,
                profiles.c.spend_12m,
                case((up, literal(reasons.RECALC_UP)), else_=literal(reasons.RECALC_GRACE_OVER)),
                literal(now, type_=TierChange.__table__.c.created_at.type),
            )
            .select_from(buyers, profiles)
            .where(moving),
        )
    )
    # 6. Apply, then stop the grace clock of everyone no longer below their (new) tier: only the buyers who
    #    just moved can be, and they are no longer below.
    session.execute(
        update(buyers).where(moving).values(tier_id=profiles.c.earned_tier_id),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(profiles)
        .where(profiles.c.buyer_id == buyers.c.id, below == 0, profiles.c.below_since.is_not(None))
        .values(below_since=None),
        execution_options={"synchronize_session": False},
    )
    session.flush()
    return RecalcResult(upgraded=counts[0], downgraded=counts[1], in_grace=in_grace or 0)


def _spend_table() -> Table:
    """Per-buyer spend of one recalculation (kopecks): a temporary table, private to the connection."""
    return Table(
        "crm_tier_recalc_spend",
        MetaData(),
        Column("buyer_id", Integer, primary_key=True, autoincrement=False),
        Column("total", BigInteger, nullable=False),
        prefixes=["TEMPORARY"],
    )


class ManualTierError(ShopError):
    pass


def set_manual_tier(
    session: Session, buyer_id: int, tier_id: int, reason: str, until: datetime, now: datetime | None = None
) -> TierChange:
    """Staff set a tier by hand: it holds (no downgrade) until ``until``; the change is in the tier history."""
    now = now or utcnow()
    buyer = session.get(Buyer, buyer_id)
    tier = session.get(Tier, tier_id)
    if buyer is None or tier is None:
        raise ManualTierError("unknown buyer or tier")
    if until <= now:
        raise ManualTierError("the expiry must be in the future")
    profile = profile_for(session, buyer_id)
    profile.manual_tier_id = tier.id
    profile.manual_until = until
    profile.manual_reason = reason.strip()[:200]
    profile.below_since = None
    change = TierChange(
        buyer_id=buyer_id,
        old_tier_id=buyer.tier_id,
        new_tier_id=tier.id,
        spend_12m=buyer_spend(session, buyer_id, window_start(now)),
        reason=f"{reasons.MANUAL_PREFIX}{profile.manual_reason}"[:200],
    )
    session.add(change)
    buyer.tier_id = tier.id
    session.flush()
    return change


@periodic("crm-recalc-tiers", every=timedelta(days=1))
def recalc_tiers_job(session: Session, now: datetime) -> str:
    result = recalc_tiers(session, now)
    session.commit()
    return f"up {result.upgraded}, down {result.downgraded}, in grace {result.in_grace}"
