"""The search index: one row of normalised terms per product.

The same rows feed both engines. On SQLite an FTS5 table (``product_fts``, external content
over this table, kept in step by triggers) indexes the three term columns; on PostgreSQL the
``document`` column holds the weighted ``tsvector`` (title A, attributes B, description C) under a
GIN index. Both are created by migration 0002; ``search.index`` is the only writer.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base

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
