"""The demo catalogue: deterministic, every leaf filled, price breaks a shop can sell by."""

import sqlalchemy as sa

from demo.catalogue import seed_demo
from storefront.catalog.models import Category, PriceBreak, Product, Supplier
from storefront.legal.models import LegalDocument
from tests.support.factories import load_rates

CITIES = {"Гуанчжоу", "Дунгуань", "Иу", "Нинбо", "Шэньчжэнь"}


def _snapshot(session):
    products = session.execute(
        sa.select(
            Product.id,
            Product.sku,
            Product.title,
            Product.category_id,
            Product.supplier_id,
            Product.moq,
            Product.stock,
            Product.currency,
            Product.source_price_from,
        ).order_by(Product.id)
    ).all()
    breaks = session.execute(
        sa.select(PriceBreak.product_id, PriceBreak.min_quantity, PriceBreak.unit_price).order_by(
            PriceBreak.product_id, PriceBreak.min_quantity
        )
    ).all()
    return products, breaks


def _empty(session):
    for model in (PriceBreak, Product, Supplier):
        session.execute(sa.delete(model))
    session.execute(sa.update(Category).values(parent_id=None))
    session.execute(sa.delete(Category))
    session.commit()


def test_seed_is_deterministic_and_complete(session):
    load_rates(session)
    session.commit()
    report = seed_demo(session, 600)
    assert report.products == 600
    assert report.categories >= 40
    first = _snapshot(session)

    leaves = session.scalars(sa.select(Category.id).where(~Category.children.any())).all()
    filled = set(session.scalars(sa.select(Product.category_id).distinct()))
    assert set(leaves) <= filled, "every leaf category has products"
    assert set(session.scalars(sa.select(Supplier.city).distinct())) == CITIES
    assert session.scalar(sa.select(sa.func.count()).where(Product.price_rub_from.is_(None))) == 0

    by_product: dict[int, list] = {}
    for product_id, quantity, price in first[1]:
        by_product.setdefault(product_id, []).append((quantity, price))
    moqs = {row.id: row.moq for row in first[0]}
    for product_id, steps in by_product.items():
        assert steps[0][0] <= moqs[product_id], "the first break covers the MOQ"
        prices = [price for _, price in steps]
        assert prices == sorted(prices, reverse=True), "more pieces never cost more apiece"

    _empty(session)
    seed_demo(session, 600)
    assert _snapshot(session) == first


def test_seed_demo_command_in_russian_and_only_once(runner, session):
    result = runner.invoke(args=["seed-demo", "--products", "50"])
    assert result.exit_code == 0, result.output
    assert "Демо-данные добавлены" in result.output
    again = runner.invoke(args=["seed-demo", "--products", "50"])
    assert again.exit_code == 1
    assert "В каталоге уже есть данные" in again.output
    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 50
    # The policy and the offer are published once (version 1 each), however often the command runs.
    assert sorted(session.scalars(sa.select(LegalDocument.kind + ":" + sa.cast(LegalDocument.version, sa.String)))) == [
        "offer:1",
        "privacy:1",
    ]
