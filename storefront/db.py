"""SQLAlchemy base, naming convention and the column types every model shares.

One transaction boundary: use cases (``*/services.py``) only ``flush()``; the entry point that calls them — a view,
a CLI command, a periodic job, a signal receiver with its own ``Session`` — commits once, with the CRM's audit
entry in the same transaction, and sends the ``storefront.events`` signals after that commit. A view rolls back
on a domain error. Two documented exceptions commit inside: payment (``storefront/payment``) commits each
idempotence key before its gateway call, and the feed import (``feeds.services.import_offers``) commits per batch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, cast

from sqlalchemy import BigInteger, DateTime, MetaData, Table, TypeDecorator
from sqlalchemy.engine import CursorResult, Dialect, Result
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from storefront.money import RATE_SCALE, from_minor, scale_rate, to_minor

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (what the database stores)."""
    return datetime.now(UTC)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE / DELETE / INSERT touched. ``Session.execute`` is typed as returning a plain ``Result``,
    but for these statements it is always a ``CursorResult``, which has ``rowcount``."""
    return cast(CursorResult[Any], result).rowcount


class MoneyType(TypeDecorator[Decimal]):
    """A ``Decimal`` amount stored as integer minor units.

    SQLite keeps NUMERIC as floating point, so sums and comparisons in SQL would drift;
    integers are exact on every engine. Floats are refused at bind time.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return to_minor(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_minor(int(value))


class RateType(TypeDecorator[Decimal]):
    """An exchange rate or multiplier (6 decimal places) stored as a scaled integer."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return scale_rate(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)) / RATE_SCALE


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite drops the zone on the way back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use storefront.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    # Every ``Mapped[Decimal]`` is money in minor units; rates use ``RateType`` explicitly.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), Decimal: MoneyType()},
    )
    if TYPE_CHECKING:
        # Every model maps a Table (none maps a select), so Model.__table__ is one, typed as the FromClause it may be.
        __table__: ClassVar[Table]


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
