"""YML/CSV import and the YML export: encodings, bad offers, re-import, round trip, the CLI."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from storefront.catalog.models import Category, PriceBreak, Product, Supplier
from storefront.catalog.queries import ListingFilters
from storefront.db import utcnow
from storefront.feeds.export import write_yml
from storefront.feeds.reader import NotAFeed
from storefront.feeds.services import Problem, import_feed
from storefront.fx.services import current_pricing
from storefront.search.queries import search_products
from tests.support.factories import load_rates

FEED = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE yml_catalog SYSTEM "shops.dtd">
<yml_catalog date="2026-11-25 10:00">
  <shop>
    <name>Синьхуа</name>
    <company>Иу Синьхуа Трейдинг</company>
    <url>https://example.cn/</url>
    <currencies><currency id="RUR" rate="1"/><currency id="USD" rate="CBRF"/></currencies>
    <categories>
      <category id="1">Обувь</category>
      <category id="2" parentId="1">Кроссовки</category>
      <category id="3">Ёлочные игрушки</category>
    </categories>
    <offers>
      <offer id="A1" available="true">
        <name>Кроссовки мужские беговые</name>
        <price>1500</price>
        <currencyId>RUR</currencyId>
        <categoryId>2</categoryId>
        <picture>https://example.cn/a1.jpg</picture>
        <vendor>Ли Нин</vendor>
        <vendorCode>LN-001</vendorCode>
        <description>Лёгкие, дышащая сетка</description>
        <param name="Размер">42</param>
        <param name="Цвет">чёрный</param>
      </offer>
      <offer id="A2" available="false">
        <name>Ёлочный шар стеклянный</name>
        <price>{price_a2}</price>
        <currencyId>USD</currencyId>
        <categoryId>3</categoryId>
        <min-quantity>50</min-quantity>
        <supplier city="Нинбо">Нинбо Декор</supplier>
  <price-breaks currency="USD"><break min-quantity="1">1.20</break><break min-quantity="100">0.90</break></price-breaks>
      </offer>
      <offer id="B1"><price>100</price><currencyId>RUR</currencyId><categoryId>2</categoryId></offer>
      <offer id="B2"><name>Минус</name><price>-5</price><currencyId>RUR</currencyId><categoryId>2</categoryId></offer>
<offer id="B3"><name>Текст</name><price>дёшево</price><currencyId>RUR</currencyId><categoryId>2</categoryId></offer>
      <offer id="B4"><name>Йены</name><price>10</price><currencyId>JPY</currencyId><categoryId>2</categoryId></offer>
<offer id="B5"><name>Чужая</name><price>10</price><currencyId>RUR</currencyId><categoryId>99</categoryId></offer>
      <offer id="B6"><name>Сломанный <b>тег</name><price>10</price></offer>
      <offer id="A3">
        <name>Кеды детские</name><price>700,50</price><currencyId>RUR</currencyId><categoryId>1</categoryId>
      </offer>
    </offers>
  </shop>
</yml_catalog>
"""


def feed(encoding: str = "UTF-8", price_a2: str = "1.20") -> io.BytesIO:
    codec = "cp1251" if encoding == "windows-1251" else "utf-8"
    return io.BytesIO(FEED.format(encoding=encoding, price_a2=price_a2).encode(codec))


@pytest.mark.parametrize("encoding", ["UTF-8", "windows-1251"])
def test_good_offers_land_and_each_bad_one_is_reported(session, encoding):
    load_rates(session)
    report = import_feed(session, feed(encoding))
    assert (report.created, report.updated) == (3, 0)
    problems = {(p.offer_id, p.problem) for p in report.problems}
    assert problems == {
        ("B1", Problem.NO_NAME),
        ("B2", Problem.BAD_PRICE),
        ("B3", Problem.BAD_PRICE),
        ("B4", Problem.UNKNOWN_CURRENCY),
        ("B5", Problem.UNKNOWN_CATEGORY),
        ("B6", Problem.BROKEN),
    }
    lines = {p.offer_id: p.line for p in report.problems}
    assert lines["B1"] == 36 and lines["B6"] == 41

    sneakers = session.scalars(select(Product).where(Product.feed_offer_id == "A1")).one()
    assert sneakers.title == "Кроссовки мужские беговые"
    assert sneakers.category.name == "Кроссовки" and sneakers.category.parent.name == "Обувь"
    assert sneakers.supplier.name == "Иу Синьхуа Трейдинг"
    assert sneakers.attributes == {"Размер": "42", "Цвет": "чёрный", "Бренд": "Ли Нин"}
    assert sneakers.sku == "LN-001" and sneakers.moq == 1 and sneakers.currency == "RUB"
    assert [(b.min_quantity, b.unit_price) for b in sneakers.price_breaks] == [(1, Decimal("1500.00"))]

    ball = session.scalars(select(Product).where(Product.feed_offer_id == "A2")).one()
    assert ball.supplier.name == "Нинбо Декор" and ball.supplier.city == "Нинбо"
    assert ball.moq == 50 and ball.stock == 0 and ball.currency == "USD"
    assert [(b.min_quantity, b.unit_price) for b in ball.price_breaks] == [(1, Decimal("1.20")), (100, Decimal("0.90"))]
    assert ball.price_rub_from is not None

    found = search_products(session, "кроссовок", ListingFilters(), 24)
    assert [p.title for p in found.listing.products] == ["Кроссовки мужские беговые"]


def test_reimport_updates_instead_of_duplicating(session):
    load_rates(session)
    import_feed(session, feed())
    report = import_feed(session, feed(price_a2="2.00"))
    assert (report.created, report.updated) == (0, 3)
    assert session.scalar(select(func.count()).select_from(Product)) == 3
    assert session.scalar(select(func.count()).select_from(Category)) == 3
    assert session.scalar(select(func.count()).select_from(Supplier)) == 2


REPEATS = """<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-11-25 10:00"><shop><company>Иу Синьхуа Трейдинг</company>
<currencies><currency id="RUR" rate="1"/></currencies>
<categories><category id="1">Обувь</category><category id="2" parentId="1">Кеды</category></categories>
<offers>
<offer id="X1"><name>Кеды белые</name><price>500</price><categoryId>2</categoryId><vendorCode>V-1</vendorCode></offer>
<offer id="X1"><name>Кеды белые</name><price>450</price><categoryId>2</categoryId><vendorCode>V-1</vendorCode></offer>
<offer id="X2"><name>Кеды белые, новая модель</name><price>470</price><categoryId>2</categoryId>
<vendorCode>V-1</vendorCode></offer>
<offer id="X3"><name>Кеды чёрные</name><price>600</price><categoryId>2</categoryId>
<price-breaks currency="RUR"><break min-quantity="1">600</break><break min-quantity="10">550</break></price-breaks>
</offer>
<offer id="X3"><name>Кеды чёрные</name><price>600</price><categoryId>1</categoryId></offer>
<offer id="X4"><name>Кеды синие</name><price>300</price><categoryId>2</categoryId><vendorCode>V-4</vendorCode></offer>
</offers></shop></yml_catalog>
"""


@pytest.mark.parametrize("batch", [1, 2, 500])
def test_offers_repeated_in_a_feed_update_what_they_created_whatever_the_batch(session, monkeypatch, batch):
    """An offer id or vendorCode seen again in the same feed updates that product, in one batch or across batches."""
    monkeypatch.setattr("storefront.feeds.services.BATCH", batch)
    load_rates(session)
    for _run in range(2):  # the second import finds everything in the database
        import_feed(session, io.BytesIO(REPEATS.encode()))
        rows = session.execute(
            select(Product.feed_offer_id, Product.sku, Product.title, Product.price_rub_from, Category.name)
            .join(Category, Category.id == Product.category_id)
            .order_by(Product.sku)
        ).all()
        pricing = current_pricing(session)
        assert rows == [
            ("X2", "V-1", "Кеды белые, новая модель", pricing.to_rub(Decimal("470"), "RUB"), "Кеды"),
            ("X4", "V-4", "Кеды синие", pricing.to_rub(Decimal("300"), "RUB"), "Кеды"),
            ("X3", "iu-sinkhua-treiding-X3", "Кеды чёрные", pricing.to_rub(Decimal("600"), "RUB"), "Обувь"),
        ]
        black = session.scalars(select(Product).where(Product.feed_offer_id == "X3")).one()
        assert [(b.min_quantity, b.unit_price) for b in black.price_breaks] == [(1, Decimal("600.00"))]


def test_a_file_that_is_not_a_feed_changes_nothing(session):
    for junk in (b"name;price\nfoo;1\n", b"<html><body>hello</body></html>", b"\x00\xff\xfe garbage", b""):
        with pytest.raises(NotAFeed):
            import_feed(session, io.BytesIO(junk))
    assert session.scalar(select(func.count()).select_from(Product)) == 0
    assert session.scalar(select(func.count()).select_from(Category)) == 0


def test_csv_variant_in_windows_1251(session):
    load_rates(session)
    text = (
        "id;name;price;currency;category;moq;breaks;param:Материал\n"
        'c1;Сумка женская;15,5;USD;Сумки / Женские;10;"1:15,5; 100:12";кожа\n'
        "c2;;10;USD;Сумки;;;\n"
    )
    report = import_feed(session, io.BytesIO(text.encode("cp1251")), "csv", default_supplier="Гуанчжоу Кожа")
    assert report.created == 1
    assert [(p.offer_id, p.problem, p.line) for p in report.problems] == [("c2", Problem.NO_NAME, 3)]
    bag = session.scalars(select(Product)).one()
    assert bag.category.name == "Женские" and bag.category.parent.name == "Сумки"
    assert bag.attributes == {"Материал": "кожа"} and bag.moq == 10
    assert [b.min_quantity for b in bag.price_breaks] == [1, 100]


def catalogue_snapshot(session) -> list[tuple]:
    rows = []
    for product in session.scalars(select(Product).order_by(Product.title)):
        path = []
        category = product.category
        while category is not None:
            path.insert(0, category.name)
            category = category.parent
        rows.append(
            (
                product.title,
                tuple(path),
                product.supplier.name,
                product.supplier.city,
                product.currency,
                tuple((b.min_quantity, b.unit_price) for b in product.price_breaks),
                product.price_rub_from,
                product.moq,
                product.stock,
                product.attributes,
                product.description,
                product.sku,
            )
        )
    return rows


def test_export_reimported_gives_the_same_catalogue(session):
    load_rates(session)
    import_feed(session, feed())
    before = catalogue_snapshot(session)
    exported = "".join(write_yml(session, "Мостик", "Мостик", "http://127.0.0.1:5000", utcnow())).encode()
    session.execute(Category.__table__.update().values(parent_id=None))
    for model in (PriceBreak, Product, Category, Supplier):
        session.execute(model.__table__.delete())
    session.commit()

    report = import_feed(session, io.BytesIO(exported))
    assert report.problems == [] and report.created == 3
    assert catalogue_snapshot(session) == before


def test_cli_import_reports_bad_offers_and_progress(runner, tmp_path, session):
    load_rates(session)
    session.commit()
    path = tmp_path / "feed.yml"
    path.write_bytes(feed("windows-1251").getvalue())
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 2
    assert "Импорт завершён: добавлено 3, обновлено 0, пропущено 6." in result.output
    assert "Строка 36, предложение B1: у предложения нет названия. Пропущено." in result.output

    junk = tmp_path / "junk.yml"
    junk.write_text("просто текст")
    result = runner.invoke(args=["catalog", "import", str(junk)])
    assert result.exit_code == 1
    assert "не является фидом каталога" in result.output
