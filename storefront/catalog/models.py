"""Catalogue: suppliers, the category tree, products and their wholesale price breaks."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, TimestampMixin, utcnow


class ProductStatus(enum.StrEnum):
    ACTIVE = "active"
    DRAFT = "draft"
    ARCHIVED = "archived"


class Supplier(TimestampMixin, Base):
    """A factory or trading company in China."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    city: Mapped[str] = mapped_column(String(64), index=True)
    #: Rating 0.0–5.0 kept in tenths, so it sorts and compares exactly; NULL = not rated yet
    #: (a supplier created from a feed), shown as nothing rather than an invented figure.
    rating_tenths: Mapped[int | None] = mapped_column(SmallInteger)
    #: Platform commission in basis points (300 = 3 %).
    commission_bp: Mapped[int] = mapped_column(SmallInteger, default=800)
    #: Factory (True) or trading company (False); NULL = not known (a supplier created from a feed).
    is_factory: Mapped[bool | None] = mapped_column()
    years_on_platform: Mapped[int] = mapped_column(SmallInteger, default=1)

    __table_args__ = (
        CheckConstraint("rating_tenths BETWEEN 0 AND 50", name="rating_range"),
        CheckConstraint("commission_bp BETWEEN 300 AND 1200", name="commission_band"),
    )

    @property
    def rating(self) -> Decimal | None:
        return None if self.rating_tenths is None else Decimal(self.rating_tenths) / 10


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    icon: Mapped[str | None] = mapped_column(String(16))

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.position")


#: A product a listing may show: on sale and priced in roubles.
LISTABLE = "status = 'active' AND price_rub_from IS NOT NULL"
_listable: dict[str, Any] = {"sqlite_where": text(LISTABLE), "postgresql_where": text(LISTABLE)}


class Product(TimestampMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="RESTRICT"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    slug: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    moq: Mapped[int] = mapped_column(Integer, default=1)
    #: Units ready to ship from the supplier's warehouse; 0 with a lead time means made to order.
    #: NULL = the supplier did not say (a feed offer without ``<stock>``): no figure is shown, and
    #: carts and orders are not limited by it (only a known stock is).
    stock: Mapped[int | None] = mapped_column(Integer)
    lead_time_days: Mapped[int | None] = mapped_column(SmallInteger)
    status: Mapped[ProductStatus] = mapped_column(String(16), default=ProductStatus.ACTIVE)
    #: Currency of the supplier's price breaks (USD, CNY or RUB).
    currency: Mapped[str] = mapped_column(String(3))
    #: Lowest break price in the source currency; kept by ``catalog.services.set_price_breaks``.
    source_price_from: Mapped[Decimal] = mapped_column()
    #: Denormalised rouble price of the lowest break, for listings; see ``fx.services``.
    price_rub_from: Mapped[Decimal | None] = mapped_column()
    popularity: Mapped[int] = mapped_column(Integer, default=0)
    image_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: Picture URLs from the supplier's feed (YML ``<picture>``), in feed order; NULL/empty = none.
    picture_urls: Mapped[list[str] | None] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The offer id in the supplier's feed (YML ``offer/@id``); re-imports match on it.
    feed_offer_id: Mapped[str | None] = mapped_column(String(64))
    #: Set by the feed import: the digest of the offer it last wrote here, bound to the ``updated_at`` it left
    #: (``feeds.services.stamp``). A re-import skips an offer whose stamp still matches; NULL = compare in full.
    feed_hash: Mapped[bytes | None] = mapped_column(LargeBinary(16))

    supplier: Mapped[Supplier] = relationship()
    category: Mapped[Category] = relationship()
    price_breaks: Mapped[list[PriceBreak]] = relationship(
        back_populates="product", order_by="PriceBreak.min_quantity", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("moq >= 1", name="moq_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
        CheckConstraint("currency IN ('RUB', 'USD', 'CNY')", name="currency_known"),
        CheckConstraint("status IN ('active', 'draft', 'archived')", name="status_known"),
        # Listing pages read only listable products; partial indexes keep those small and let
        # count, facet and page queries run on the index alone. Queries must repeat LISTABLE literally.
        Index("ix_products_listing_popular", "category_id", "popularity", "id", **_listable),
        Index("ix_products_listing_price", "category_id", "price_rub_from", "id", **_listable),
        Index("ix_products_listing_new", "category_id", "published_at", "id", **_listable),
        Index("ix_products_listing_supplier", "category_id", "supplier_id", **_listable),
        Index("ix_products_popular", "popularity", "id", **_listable),
        # Facet counts (catalog/facets.py) group a category's listable products by these columns; on SQLite
        # the whole read comes from this index. PostgreSQL reads the rows (a B-tree entry there is limited to
        # about 2.7 kB, which a feed's attributes may exceed) and has no such index.
        Index(
            "ix_products_facets",
            *("category_id", "supplier_id", "moq", "stock", "price_rub_from", "attributes"),
            sqlite_where=text(LISTABLE),
        ).ddl_if(dialect="sqlite"),
        Index("ix_products_supplier_id", "supplier_id"),
        Index("uq_products_supplier_feed_offer", "supplier_id", "feed_offer_id", unique=True),
    )

    @property
    def in_stock(self) -> bool:
        """Known to be in stock (an unknown stock is not claimed)."""
        return self.stock is not None and self.stock > 0

    @property
    def orderable_stock(self) -> bool:
        """Can be put in a cart as far as stock goes: some known stock, or an unknown one."""
        return self.stock is None or self.stock > 0

    def within_stock(self, quantity: int) -> bool:
        """``quantity`` does not exceed a known stock (an unknown stock limits nothing)."""
        return self.stock is None or quantity <= self.stock

    def cap_to_stock(self, quantity: int) -> int:
        """``quantity`` lowered to a known stock."""
        return quantity if self.stock is None else min(quantity, self.stock)


class PriceBreak(Base):
    """Unit price from ``min_quantity`` pieces up, in the product's source currency."""

    __tablename__ = "price_breaks"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    min_quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column()

    product: Mapped[Product] = relationship(back_populates="price_breaks")

    __table_args__ = (
        UniqueConstraint("product_id", "min_quantity"),
        CheckConstraint("min_quantity >= 1", name="min_quantity_positive"),
        # Bounded so the integer conversion formula (minor × scaled rate) never overflows 64 bits.
        CheckConstraint("unit_price > 0 AND unit_price < 10000000000", name="unit_price_range"),
    )
