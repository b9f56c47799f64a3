"""The segment fields: one registry entry each (type, operators, SQL, value check, Russian label).

Adding a field is one ``Field(...)`` in ``FIELDS``. A field's SQL is built against ``Sources``, which joins each
per-buyer table (the tier, the reorder statistics) at most once and only when a condition uses it, so a whole
definition stays ONE ``SELECT buyers.id`` however many conditions it has.

Semantics the tests' Python reference filter mirrors:
- order count, spend and days since the last order are read from the reorder statistics (``crm_buyer_stats``,
  kept by ``crm.reorder.services`` on every payment and refund and recomputed nightly), never aggregated over the
  orders per count: that is what keeps a live count over 100 000 buyers fast. Their «orders» are paid orders not
  refunded in full (a succeeded payment with a positive net), dated by the payment; days since the last order count
  whole days since the latest; a buyer who never ordered has no value (``is_empty``) and matches no comparison.
- spend = succeeded payments minus their succeeded refunds, over the 365 days before the last recompute (the
  window moves nightly; payments and refunds update it at once) or the whole lifetime; no payments = 0.
- categories bought: lines of those same paid orders (``crm_buyer_categories``, kept with the statistics).
- region and city match if ANY of the buyer's saved addresses matches; «not equal» / «none of» mean no saved
  address has it (so buyers without addresses match them); «not set» = no saved address.
- «not equal» / «none of» also match buyers who have no value (no tier, no manager, no UTM tag).
- every per-buyer fact from a table with several rows per buyer is an uncorrelated ``buyers.id [NOT] IN (SELECT
  buyer_id …)`` computed once per query.
- registration dates are Moscow calendar dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, func, not_, or_, select, true, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import BigInteger, Integer

from crm.buyers.models import BuyerProfile
from crm.reorder.models import STATUS_LABELS, BuyerCategory, BuyerStats, ReorderStatus
from storefront.account.models import Address, Buyer, BuyerKind, Consent, Tier
from storefront.account.queries import marketing_consent_in_force
from storefront.account.utm import clean_tag
from storefront.catalog.models import Category
from storefront.money import to_minor
from storefront.moscow import FIRST_DAY, LAST_DAY, moscow_midnight
from storefront.shipping.regions import REGIONS

MAX_LIST = 200
MAX_MONEY = Decimal("100000000000")


class BadValue(ValueError):
    """A value refused; the message (lazy, Russian) says what is expected."""


# --- operators ------------------------------------------------------------------------------------------------

#: operator → Russian label. ``in``/``not_in`` take a list, ``between`` [from, to], the ``is_*`` no value.
OPERATORS: dict[str, Any] = {
    "eq": _l("equals"),
    "ne": _l("does not equal"),
    "in": _l("is any of"),
    "not_in": _l("is none of"),
    "gt": _l("greater than"),
    "gte": _l("at least"),
    "lt": _l("less than"),
    "lte": _l("at most"),
    "between": _l("between"),
    "contains": _l("contains"),
    "is_empty": _l("is not set"),
    "is_not_empty": _l("is set"),
}
LIST_OPERATORS = frozenset({"in", "not_in"})
NO_VALUE_OPERATORS = frozenset({"is_empty", "is_not_empty"})

TEXT_OPS = ("eq", "ne", "in", "not_in", "contains", "is_empty", "is_not_empty")
CHOICE_OPS = ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty")
NUMBER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "between")


class strpos(GenericFunction[int]):
    """Case-sensitive substring position, the same on both engines (LIKE folds ASCII case on SQLite only)."""

    type = Integer()
    inherit_cache = True


@compiles(strpos, "sqlite")
def _strpos_sqlite(element: strpos, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


def generic(op: str, column: Any, value: Any) -> ColumnElement[bool]:
    """The SQL of an operator over a plain column (NULL = no value)."""
    if op == "eq":
        return column == value
    if op == "ne":
        return or_(column.is_(None), column != value)
    if op == "in":
        return column.in_(value)
    if op == "not_in":
        return or_(column.is_(None), column.not_in(value))
    if op == "gt":
        return column > value
    if op == "gte":
        return column >= value
    if op == "lt":
        return column < value
    if op == "lte":
        return column <= value
    if op == "between":
        return column.between(value[0], value[1])
    if op == "contains":
        return strpos(column, value) > 0
    if op == "is_empty":
        return column.is_(None)
    if op == "is_not_empty":
        return column.is_not(None)
    raise AssertionError(op)


# --- joined per-buyer sources ---------------------------------------------------------------------------------


@dataclass
class Sources:
    """Per-buyer aggregates a definition needs, each built (and joined) once."""

    now: datetime
    joins: dict[str, Any] = field(default_factory=dict)

    names: int = 0

    def fresh_name(self, prefix: str) -> str:
        """A name no other part of this query uses (two category conditions need two CTEs)."""
        self.names += 1
        return f"{prefix}_{self.names}"

    def join(self, name: str, build: Callable[[], Any]) -> Any:
        """``build()`` LEFT JOINed on ``buyer_id`` once under ``name`` (at most one row per buyer)."""
        if name not in self.joins:
            self.joins[name] = build()
        return self.joins[name]

    @property
    def tier(self) -> Any:
        return self.join("tier", lambda: Tier.__table__)

    @property
    def stats(self) -> Any:
        """The buyer's reorder statistics (``crm_buyer_stats``): order count, spend, last order, status."""
        return self.join("stats", lambda: BuyerStats.__table__)

    def on_clause(self, name: str, joined: Any) -> ColumnElement[bool]:
        if name == "tier":
            return joined.c.id == Buyer.tier_id
        return joined.c.buyer_id == Buyer.id


# --- value checks ---------------------------------------------------------------------------------------------


def text_value(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_length:
            raise BadValue(_l("a text of 1 to %(n)s characters", n=max_length))
        return value.strip()

    return check


def code_value(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9_-]{1,32}", value):
        raise BadValue(_l("a tier code (latin letters, digits)"))
    return value


def region_value(value: Any) -> str:
    if not isinstance(value, str) or value not in REGIONS:
        raise BadValue(_l("a region code from the list (e.g. 78)"))
    return value


def kind_value(value: Any) -> str:
    if value not in (BuyerKind.PERSON.value, BuyerKind.COMPANY.value):
        raise BadValue(_l("«person» or «company»"))
    return str(value)


def one_of(*allowed: str) -> Callable[[Any], str]:
    """A value from a fixed list (e.g. the reorder statuses of a stats table)."""

    def check(value: Any) -> str:
        if value not in allowed:
            raise BadValue(_l("one of: %(values)s", values=", ".join(allowed)))
        return str(value)

    return check


def money_value(value: Any) -> int:
    """Roubles (number or «1234,50») → kopecks."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadValue(_l("an amount in roubles"))
    try:
        amount = Decimal(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise BadValue(_l("an amount in roubles")) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise BadValue(_l("an amount from 0 to 100 000 000 000 roubles"))
    return to_minor(amount)


def int_value(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadValue(_l("a whole number from %(low)s to %(high)s", low=low, high=high))
        return value

    return check


def date_value(value: Any) -> date:
    try:
        if not isinstance(value, str):
            raise ValueError
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadValue(_l("a date as YYYY-MM-DD")) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadValue(_l("a date between 2000 and 2100"))
    return day


def bool_value(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue(_l("yes or no (true/false)"))
    return value


def utm_value(value: Any) -> str:
    cleaned = clean_tag(value) if isinstance(value, str) else None
    if cleaned is None:
        raise BadValue(_l("a UTM tag: up to 64 letters, digits, «.», «-», «_»"))
    return cleaned


# --- special SQL ----------------------------------------------------------------------------------------------


def registered_sql(op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
    """Moscow calendar dates → UTC instants on ``created_at`` (uses its plain comparison, index-friendly)."""
    column = Buyer.created_at

    def start(day: date) -> datetime:
        return moscow_midnight(day)

    def after(day: date) -> datetime:
        return moscow_midnight(day + timedelta(days=1))

    if op == "eq":
        return and_(column >= start(value), column < after(value))
    if op == "ne":
        return or_(column < start(value), column >= after(value))
    if op == "gt":
        return column >= after(value)
    if op == "gte":
        return column >= start(value)
    if op == "lt":
        return column < start(value)
    if op == "lte":
        return column < after(value)
    if op == "between":
        return and_(column >= start(value[0]), column < after(value[1]))
    raise AssertionError(op)


# Every per-buyer fact below is a set of buyer ids (``buyers.id IN (SELECT DISTINCT buyer_id …)``): uncorrelated,
# so the database computes each set once (a hashed subplan on PostgreSQL, an ephemeral index on SQLite), inside AND
# or OR. DISTINCT matters: PostgreSQL hashes a subplan only when its estimated size fits in memory, and a set of
# order rows (several per buyer) is estimated too large — unhashed, it is rescanned for every buyer.


def member(rows: Any) -> ColumnElement[bool]:
    """``buyers.id IN (rows) IS true``: the wrapper keeps PostgreSQL from turning the IN into a semi-join, whose
    row estimates over grouped aggregates are poor enough to pick nested loops over 100 000 buyers; as a hashed
    subplan it is built once and probed per buyer, at a predictable cost. (The ids in ``rows`` are never NULL.)"""
    return Buyer.id.in_(rows).is_(true())


def in_rows(buyer_id: Any, column: Any, op: str, value: Any, *where: Any) -> ColumnElement[bool]:
    """A column of a table with rows per buyer (addresses, the CRM profile): a positive operator matches if ANY
    row matches; «not equal» / «none of» match if NO row equals; «not set» = no row has a value."""
    rows = select(buyer_id).distinct().where(buyer_id.is_not(None), *where)
    if op == "ne":
        return Buyer.id.not_in(rows.where(column == value))
    if op == "not_in":
        return Buyer.id.not_in(rows.where(column.in_(value)))
    if op == "is_empty":
        return Buyer.id.not_in(rows.where(column.is_not(None)))
    return member(rows.where(generic(op, column, value)))


def order_count_sql(op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
    return generic(op, func.coalesce(sources.stats.c.order_count, 0), value)


def spend_sql(lifetime: bool) -> Callable[[str, Any, Sources], ColumnElement[bool]]:
    """Net spend in kopecks as the statistics hold it; no payments (or no statistics row yet) = 0."""

    def build(op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
        stored = sources.stats.c.spend_total if lifetime else sources.stats.c.spend_12m
        # Compared as the integer kopecks the column stores (the Money type would read a bound int as roubles).
        return generic(op, func.coalesce(type_coerce(stored, BigInteger), 0), value)

    return build


def days_since_sql(op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
    """Whole days since the last order, as bounds on its instant: days ≥ n ⟺ last ≤ now − n days."""
    last = sources.stats.c.last_paid_at
    now = sources.now

    def at_least(days: int) -> ColumnElement[bool]:
        return last <= now - timedelta(days=days)

    def below(days: int) -> ColumnElement[bool]:
        return last > now - timedelta(days=days)

    if op in ("is_empty", "is_not_empty"):
        return generic(op, last, None)
    if op == "ne":
        return or_(last.is_(None), not_(and_(at_least(value), below(value + 1))))
    return {
        "eq": lambda: and_(at_least(value), below(value + 1)),
        "gt": lambda: at_least(value + 1),
        "gte": lambda: at_least(value),
        "lt": lambda: below(value),
        "lte": lambda: below(value + 1),
        "between": lambda: and_(at_least(value[0]), below(value[1] + 1)),
    }[op]()


def categories_sql(op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
    """Bought anything in these categories or their subcategories (the statistics' per-buyer categories).

    Joined as a grouped derived table rather than tested with IN: inside an OR PostgreSQL would build the hashed
    IN set twice (once for the pushed-down filter on buyers, once for the join filter)."""
    tree = select(Category.id).where(Category.id.in_(value)).cte(sources.fresh_name("seg_categories"), recursive=True)
    tree = tree.union_all(select(Category.id).where(Category.parent_id == tree.c.id))
    name = sources.fresh_name("seg_bought")
    bought = sources.join(
        name,
        lambda: (
            select(BuyerCategory.buyer_id)
            .where(BuyerCategory.category_id.in_(select(tree.c.id)))
            .group_by(BuyerCategory.buyer_id)
            .subquery(name)
        ),
    )
    return bought.c.buyer_id.is_not(None) if op == "in" else bought.c.buyer_id.is_(None)


def consent_sql(op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
    """Marketing consent granted and not withdrawn (the storefront's consents)."""
    granted = select(Consent.buyer_id).distinct().where(Consent.buyer_id.is_not(None), marketing_consent_in_force())
    return member(granted) if value else Buyer.id.not_in(granted)


def address_sql(attribute: str) -> Callable[[str, Any, Sources], ColumnElement[bool]]:
    def build(op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
        return in_rows(Address.buyer_id, getattr(Address, attribute), op, value)

    return build


def profile_sql(attribute: str) -> Callable[[str, Any, Sources], ColumnElement[bool]]:
    def build(op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
        return in_rows(BuyerProfile.buyer_id, getattr(BuyerProfile, attribute), op, value)

    return build


# --- the registry ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    key: str
    label: Any
    #: What the builder shows for the value: ``text``, ``choice`` (``choices``), ``tier``, ``region``, ``manager``,
    #: ``categories`` (options from the database), ``money``, ``number``, ``days``, ``date``, ``bool``.
    type: str
    operators: tuple[str, ...]
    check: Callable[[Any], Any]
    #: A plain column (NULL = no value) the generic operators apply to …
    column: Callable[[Sources], Any] | None = None
    #: … or the whole SQL for an operator and checked value.
    sql: Callable[[str, Any, Sources], ColumnElement[bool]] | None = None
    #: For ``choice``: the values offered (value, label).
    choices: tuple[tuple[str, Any], ...] = ()

    def condition(self, op: str, value: Any, sources: Sources) -> ColumnElement[bool]:
        if self.sql is not None:
            return self.sql(op, value, sources)
        assert self.column is not None
        return generic(op, self.column(sources), value)


#: A field backed by a per-buyer table is one entry too: see ``reorder_status`` (``crm_buyer_stats``, issue 7).
FIELDS: dict[str, Field] = {
    entry.key: entry
    for entry in (
        Field("tier", _l("tier"), "tier", CHOICE_OPS, code_value, column=lambda s: s.tier.c.code),
        Field(
            "region",
            _l("region"),
            "region",
            CHOICE_OPS,
            region_value,
            sql=address_sql("region_code"),
        ),
        Field("city", _l("city"), "text", TEXT_OPS, text_value(200), sql=address_sql("city")),
        Field(
            "kind",
            _l("person or company"),
            "choice",
            ("eq", "ne"),
            kind_value,
            column=lambda s: Buyer.kind,
            choices=(("person", _l("person")), ("company", _l("company"))),
        ),
        Field("spend_12m", _l("spend over 12 months"), "money", NUMBER_OPS, money_value, sql=spend_sql(lifetime=False)),
        Field("spend_total", _l("lifetime spend"), "money", NUMBER_OPS, money_value, sql=spend_sql(lifetime=True)),
        Field(
            "order_count",
            _l("number of orders"),
            "number",
            NUMBER_OPS,
            int_value(0, 1_000_000),
            sql=order_count_sql,
        ),
        Field(
            "days_since_last_order",
            _l("days since the last order"),
            "days",
            (*NUMBER_OPS, "is_empty", "is_not_empty"),
            int_value(0, 36500),
            sql=days_since_sql,
        ),
        Field(
            "categories",
            _l("categories bought"),
            "categories",
            ("in", "not_in"),
            int_value(1, 2**31 - 1),
            sql=categories_sql,
        ),
        Field(
            "manager",
            _l("account manager"),
            "manager",
            ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty"),
            int_value(1, 2**31 - 1),
            sql=profile_sql("manager_id"),
        ),
        Field(
            "reorder_status",
            _l("reorder status"),
            "choice",
            CHOICE_OPS,
            one_of(*(status.value for status in ReorderStatus)),
            column=lambda s: s.stats.c.status,
            choices=tuple((status.value, label) for status, label in STATUS_LABELS.items()),
        ),
        Field("marketing_consent", _l("marketing consent"), "bool", ("eq",), bool_value, sql=consent_sql),
        Field("registered", _l("registration date"), "date", NUMBER_OPS, date_value, sql=registered_sql),
        Field(
            "utm_source",
            _l("first-touch UTM source"),
            "text",
            TEXT_OPS,
            utm_value,
            column=lambda s: Buyer.first_utm_source,
        ),
    )
}
