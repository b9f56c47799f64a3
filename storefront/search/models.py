"""Search tables: the index (one row of normalised terms per product), the CRM's synonyms, demand counts.

The same rows feed both engines. On SQLite an FTS5 table (``product_fts``, external content
over this table, kept in step by triggers) indexes the three term columns; on PostgreSQL the
``document`` column holds the weighted ``tsvector`` (title A, attributes B, description C) under a
GIN index. Both are created by migration 0002; ``search.index`` is the only writer.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin, UTCDateTime

#: Not a model: the SQLite FTS5 table and its shadow tables, created by the migration.
FTS_TABLE = "product_fts"


class ProductSearch(Base):
    __tablename__ = "product_search"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    title_terms: Mapped[str] = mapped_column(Text, default="")
    attribute_terms: Mapped[str] = mapped_column(Text, default="")
    description_terms: Mapped[str] = mapped_column(Text, default="")
    #: PostgreSQL only (NULL on SQLite): the weighted tsvector of the three columns.
    document: Mapped[str | None] = mapped_column(Text().with_variant(postgresql.TSVECTOR(), "postgresql"))

    __table_args__ = (
        Index("ix_product_search_document", "document", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )


def is_search_engine_object(name: str | None) -> bool:
    """Tables Alembic must not compare or drop: FTS5 and its shadow tables."""
    return name is not None and name.startswith(FTS_TABLE)


class SearchSynonym(TimestampMixin, Base):
    """A synonym group the marketing team keeps in the CRM, layered over the built-in list.

    ``word`` is one folded word (its key, matched in any inflection). A row replaces the built-in
    entry of the same word (``alternatives``) or, when ``is_disabled``, removes it; a word the
    built-in list lacks is added. ``understand.layered_synonyms`` is the one rule.
    """

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(100), unique=True)
    #: Words or phrases («внешний аккумулятор»: all its words must occur), folded.
    alternatives: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class SearchDemand(Base):
    """Demand without supply: one row per normalised query and Moscow day that found nothing or little.

    No personal data: no buyer, no IP, only the normalised words (``demand.demand_key``). Counted by
    one upsert per search (``demand.count_search``).
    """

    __tablename__ = "search_demand"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    query: Mapped[str] = mapped_column(String(200))
    searches: Mapped[int] = mapped_column(Integer, default=0)
    #: Of ``searches``, those that found nothing at all (the rest found at most the threshold).
    empty_searches: Mapped[int] = mapped_column(Integer, default=0)
    #: Products found by the latest search (0 … the threshold).
    last_results: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("day", "query", name="uq_search_demand_day_query"),)
