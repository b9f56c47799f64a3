"""Small builders for test data. Each takes the session and returns the flushed object."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from storefront.account.models import Buyer, BuyerKind, Consent, ConsentKind
from storefront.account.services import hash_password
from storefront.catalog.models import Category, Product, ProductStatus, Supplier
from storefront.catalog.services import set_price_breaks
from storefront.db import utcnow
from storefront.fx.cbr import RateQuote, RateSheet
from storefront.fx.services import store_rates
from storefront.shipping.services import seed_shipping_methods
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


def create_buyer(
    session: Session,
    email: str = "buyer@example.ru",
    password: str = "correct horse battery",
    company: bool = False,
    **fields: object,
) -> Buyer:
    buyer = Buyer(
        email=email,
        password_hash=hash_password(password),
        name=fields.pop("name", "Иван Петров"),
        phone=fields.pop("phone", "+79161234567"),
        **fields,
    )
    if company:
        buyer.kind = BuyerKind.COMPANY
        buyer.company_name = "ООО «Ромашка»"
        buyer.inn = "7707083893"
        buyer.kpp = "770701001"
        buyer.legal_address = "125009, Москва, ул. Тверская, д. 1"
    session.add(buyer)
    session.flush()
    buyer.consents.append(
        Consent(
            email=email,
            kind=ConsentKind.PERSONAL_DATA,
            text_version="pd-2026-11",
            granted_at=utcnow(),
            source_page="/account/register",
        )
    )
    session.flush()
    return buyer


def create_shop(session: Session, stock: int = 100, moq: int = 1, weight_grams: int = 500) -> Product:
    """Rates, the seeded carriers, and one product (USD breaks 10/9/8 from 1/10/50 pcs) ready to order."""
    load_rates(session)
    seed_shipping_methods(session)
    category, supplier = create_category(session), create_supplier(session)
    product = create_product(session, category, supplier, stock=stock, moq=moq, weight_grams=weight_grams)
    session.commit()
    return product
