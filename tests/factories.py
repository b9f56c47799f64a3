"""Small builders for test data. Each takes the session and returns the flushed object."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from storefront.catalog.models import Category, Product, ProductStatus, Supplier
from storefront.catalog.services import set_price_breaks
from storefront.db import utcnow
from storefront.fx.cbr import RateQuote, RateSheet
from storefront.fx.services import store_rates
from storefront.slugs import make_slug

_sequence = itertools.count(1)


def load_rates(session: Session, usd: str = "80.0000", cny: str = "11.0000", on: date | None = None) -> None:
    quotes = {
        code: RateQuote(code, 1, Decimal(value), Decimal(value), None, None, None)
        for code, value in (("USD", usd), ("CNY", cny))
    }
    store_rates(session, RateSheet(on or date(2026, 11, 25), quotes), "test")


def create_category(
    session: Session, name: str = "Обувь", parent: Category | None = None, **fields: object
) -> Category:
    number = next(_sequence)
    category = Category(
        name=name,
        slug=fields.pop("slug", None) or f"{make_slug(name)}-{number}",
        parent=parent,
        position=number,
        **fields,
    )
    session.add(category)
    session.flush()
    return category


def create_supplier(session: Session, city: str = "Гуанчжоу", **fields: object) -> Supplier:
    number = next(_sequence)
    supplier = Supplier(name=fields.pop("name", f"Фабрика №{number}"), slug=f"supplier-{number}", city=city, **fields)
    session.add(supplier)
    session.flush()
    return supplier


def create_product(
    session: Session,
    category: Category,
    supplier: Supplier,
    title: str = "Кроссовки мужские беговые",
    breaks: Sequence[tuple[int, str]] = ((1, "10.00"), (10, "9.00"), (50, "8.00")),
    currency: str = "USD",
    **fields: object,
) -> Product:
    number = next(_sequence)
    product = Product(
        category=category,
        supplier=supplier,
        sku=fields.pop("sku", f"T-{number:07d}"),
        title=title,
        slug=make_slug(title),
        currency=currency,
        source_price_from=Decimal("0.01"),
        moq=fields.pop("moq", 1),
        stock=fields.pop("stock", 100),
        status=fields.pop("status", ProductStatus.ACTIVE),
        published_at=fields.pop("published_at", utcnow() - timedelta(days=number)),
        **fields,
    )
    session.add(product)
    session.flush()
    set_price_breaks(session, product, [(quantity, Decimal(price)) for quantity, price in breaks])
    return product
