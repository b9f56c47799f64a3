"""Real shop feeds (tests/data/yml/, each naming its source): what they state is kept, nothing is invented.

vendor.model names, picture URLs, HTML descriptions sanitised, «под заказ» without a made-up lead
time, no stock figure when the feed gives none, feed suppliers without a kind or rating.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

from sqlalchemy import select

from storefront.catalog.models import Product, Supplier
from storefront.feeds.reader import OfferText, read_yml, skim_yml
from storefront.feeds.services import Problem, import_feed
from tests.support.factories import load_rates

DATA = Path(__file__).parents[2] / "data" / "yml"
#: stefanitsky/yandex_market_language tests/fixtures/valid_feed.xml (the Yandex example feed).
YANDEX_EXAMPLE = DATA / "yandex_market_language_valid_feed.xml"
#: StanZhuravlev/yml_builder README.md (an OpenCart shop's price list, windows-1251).
YML_BUILDER = DATA / "yml_builder_readme.xml"


def _with_category_101(raw: bytes) -> bytes:
    """The example feed with the category its vendor.model offer points at (Yandex's own example
    lists 101 «Сэндвичницы и приборы для выпечки»; the stored excerpt leaves it out)."""
    return raw.replace(
        b'<category id="7">',
        '<category id="101">Сэндвичницы и приборы для выпечки</category><category id="7">'.encode(),
    )


def _product(session, offer_id: str) -> Product:
    return session.scalars(select(Product).where(Product.feed_offer_id == offer_id)).one()


def test_the_yandex_example_imports_and_its_bad_offer_is_reported_with_line_and_id(session):
    load_rates(session)
    report = import_feed(session, io.BytesIO(YANDEX_EXAMPLE.read_bytes()))
    assert report.created == 1
    assert [(p.offer_id, p.problem, p.detail) for p in report.problems] == [("A1VV", Problem.UNKNOWN_CATEGORY, "101")]
    line = YANDEX_EXAMPLE.read_text().splitlines().index('            <offer id="A1VV" type="vendor.model" bid="30">')
    assert report.problems[0].line == line + 1

    printer = _product(session, "1511AB")
    assert printer.title == "Принтер Brother 331"
    assert printer.picture_urls == ["https://example.shop/img/model_1.jpg"]
    # CDATA HTML: the heading is kept as bold text, only the allowed tags survive.
    assert printer.description == "<p><b>Принтер Brother.</b></p>\n                        <p>Неплохой.</p>"
    # An available offer without <stock>: the stock is unknown, not 1000.
    assert printer.stock is None
    # Its own delivery option (1 day) is the lead time; a feed's units stay after the value.
    assert printer.lead_time_days == 1
    assert printer.attributes["Размер дисплея"] == "5.6 дюйм"
    assert printer.attributes["Бренд"] == "Brother"


def test_a_vendor_model_offer_is_named_type_prefix_vendor_model(session):
    load_rates(session)
    report = import_feed(session, io.BytesIO(_with_category_101(YANDEX_EXAMPLE.read_bytes())))
    assert (report.created, report.problems) == (2, [])
    sandwich = _product(session, "A1VV")
    assert sandwich.title == "Сэндвичница Brand K220Y9"
    assert sandwich.sku == "A1234567B"
    assert sandwich.picture_urls == ["http://best.seller.ru/img/device56789.jpg"]
    assert sandwich.lead_time_days == 3  # days="1-3": the upper bound
    assert sandwich.description == "Сэндвичница 2 в 1: можно приготовить как сэндвичи, так и вафли."


def test_unavailable_offers_are_made_to_order_without_an_invented_lead_time(session):
    load_rates(session)
    report = import_feed(session, io.BytesIO(YML_BUILDER.read_bytes()))
    assert (report.created, report.problems) == (2, [])
    cover = _product(session, "3")
    assert cover.title == "Товар №3"
    assert cover.stock == 0 and cover.lead_time_days is None
    assert cover.picture_urls == [
        "http://example-site.ru/image_cover",
        "http://example-site.ru/image1",
        "http://example-site.ru/image2",
    ]
    assert cover.attributes == {"Обложка": "Мягкая", "Страниц": "10 шт."}
    other = _product(session, "6")
    assert other.stock is None


def test_suppliers_created_from_a_feed_have_no_kind_or_rating(session):
    load_rates(session)
    import_feed(session, io.BytesIO(YML_BUILDER.read_bytes()))
    supplier = session.scalars(select(Supplier)).one()
    assert supplier.name == "ООО 'Рога & Копыта'"
    assert supplier.is_factory is None and supplier.rating_tenths is None and supplier.rating is None
    assert supplier.city == ""


def test_the_product_page_shows_only_what_the_feed_states(client, session):
    load_rates(session)
    import_feed(session, io.BytesIO(YML_BUILDER.read_bytes()))
    import_feed(session, io.BytesIO(YANDEX_EXAMPLE.read_bytes()))
    cover, other, printer = _product(session, "3"), _product(session, "6"), _product(session, "1511AB")

    page = client.get(f"/product/{cover.id}-{cover.slug}").get_data(as_text=True)
    # Feed pictures are shown once downloaded (tests/storefront/pictures), never hotlinked from the supplier.
    assert "example-site.ru/image_cover" not in page.split("</head>")[1]
    assert "/media/placeholder/" in page
    assert "под заказ" in page and "дн" not in page.split("под заказ")[1][:20]
    card = page.split('class="supplier-card"')[1].split("</aside>")[0]
    assert "ООО &#39;Рога &amp; Копыта&#39;" in card
    assert "фабрика" not in card and "торговая компания" not in card and "Рейтинг" not in card and "·" not in card
    assert "add-to-cart" not in page  # nothing in stock

    page = client.get(f"/product/{other.id}-{other.slug}").get_data(as_text=True)
    assert "наличие уточняйте" in page and "в наличии" not in page
    assert "add-to-cart" in page and 'max="' not in page.split('id="add-qty"')[1].split(">")[0]

    page = client.get(f"/product/{printer.id}-{printer.slug}").get_data(as_text=True)
    assert '<div class="description-text"><p><b>Принтер Brother.</b></p>' in page


def test_a_plain_description_keeps_its_lines_and_html_loses_what_is_not_allowed(client, session):
    load_rates(session)
    feed = """<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-12-01 10:00"><shop><company>Нинбо Декор</company>
<categories><category id="1">Декор</category></categories><offers>
<offer id="P1"><name>Шар</name><price>10</price><categoryId>1</categoryId>
<description>Стекло, 8 см.
Упаковка: 12 шт. &lt;хрупкое&gt;</description></offer>
<offer id="P2"><name>Гирлянда</name><price>20</price><categoryId>1</categoryId>
<description><![CDATA[<p style="color:red" onclick="steal()">Тёплый <strong>свет</strong></p>
<script>alert(1)</script><a href="javascript:x()">ссылка</a><img src="x" onerror="y()">
<ul><li>10 м</li></ul>]]></description>
</offer></offers></shop></yml_catalog>"""
    import_feed(session, io.BytesIO(feed.encode()))
    plain, rich = _product(session, "P1"), _product(session, "P2")
    assert rich.description == "<p>Тёплый <strong>свет</strong></p>\nссылка\n<ul><li>10 м</li></ul>"

    page = client.get(f"/product/{plain.id}-{plain.slug}").get_data(as_text=True)
    assert "Стекло, 8 см.<br>\nУпаковка: 12 шт. &lt;хрупкое&gt;" in page
    page = client.get(f"/product/{rich.id}-{rich.slug}").get_data(as_text=True)
    assert "<p>Тёплый <strong>свет</strong></p>" in page
    assert "steal()" not in page and "alert(1)" not in page and "javascript:x()" not in page and "onerror" not in page


def test_a_broken_offer_in_a_real_feed_is_reported_and_the_rest_imports(session):
    load_rates(session)
    raw = YML_BUILDER.read_bytes().replace("<name>Товар №3</name>".encode("cp1251"), b"<name>&nbsp</name>")
    report = import_feed(session, io.BytesIO(raw))
    assert report.created == 1
    line = YML_BUILDER.read_text("cp1251").splitlines().index('      <offer id="3" available="false">') + 1
    assert [(p.offer_id, p.problem, p.line) for p in report.problems] == [("3", Problem.BROKEN, line)]


def test_the_export_follows_the_yml_rules(client, session, app):
    load_rates(session)
    import_feed(session, io.BytesIO(_with_category_101(YANDEX_EXAMPLE.read_bytes())))
    import_feed(session, io.BytesIO(YML_BUILDER.read_bytes()))
    # Another supplier uses the same offer id «3»: our ids must still be unique.
    second = YML_BUILDER.read_bytes().replace("Рога".encode("cp1251"), "Другие".encode("cp1251"))
    import_feed(session, io.BytesIO(second))
    session.commit()

    root = ET.fromstring(client.get("/feeds/yandex.yml").get_data())
    assert len(root.get("date", "")) == 16 and root.get("date", "")[10] == " "  # «YYYY-MM-DD hh:mm»
    assert root.findtext("shop/company") == app.config["SELLER_FULL_NAME"]
    offers = root.findall("shop/offers/offer")
    ids = [offer.get("id", "") for offer in offers]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert all(offer_id.isalnum() and offer_id.isascii() and len(offer_id) <= 20 for offer_id in ids)

    by_name = {offer.findtext("name"): offer for offer in offers}
    sandwich = by_name["Сэндвичница Brand K220Y9"]
    assert sandwich.findtext("vendor") == "Brand"
    assert [p.text for p in sandwich.findall("picture")] == ["http://best.seller.ru/img/device56789.jpg"]
    power = sandwich.find("param[@name='Мощность']")
    assert power is not None and (power.get("unit"), power.text) == ("Вт", "750")
    assert sandwich.find("param[@name='Бренд']") is None
    assert sandwich.find("stock") is None and sandwich.get("available") == "true"

    cover = next(o for o in offers if o.findtext("name") == "Товар №3")
    assert cover.get("available") == "false" and cover.findtext("stock") == "0"
    assert len(cover.findall("picture")) == 3
    pages = cover.find("param[@name='Страниц']")
    assert pages is not None and (pages.get("unit"), pages.text) == ("шт.", "10")
    assert "placeholder" not in ET.tostring(root, encoding="unicode")


def test_the_reader_keeps_vendor_model_parts_and_every_picture():
    head, offers = read_yml(io.BytesIO(YML_BUILDER.read_bytes()))
    assert head.company == "ООО 'Рога & Копыта'"
    first = next(offers)
    assert first.available == "false" and len(first.picture_urls) == 3 and first.delivery_days is None
    head, offers = read_yml(io.BytesIO(YANDEX_EXAMPLE.read_bytes()))
    _printer, sandwich = list(offers)
    assert (sandwich.type, sandwich.type_prefix, sandwich.vendor, sandwich.model) == (
        "vendor.model",
        "Сэндвичница",
        "Brand",
        "K220Y9",
    )
    assert sandwich.name is None and sandwich.delivery_days == "3"


def test_a_re_import_reads_the_real_feeds_offers_off_their_text_and_parses_them_alike() -> None:
    """``skim_yml`` (a re-import) leaves these real offers unparsed, and parsing each gives what ``read_yml`` reads."""
    for feed in (YANDEX_EXAMPLE, YML_BUILDER):
        _head, read = read_yml(io.BytesIO(feed.read_bytes()))
        _head, skimmed = skim_yml(io.BytesIO(feed.read_bytes()))
        offers, texts = list(read), list(skimmed)
        assert texts and all(isinstance(text, OfferText) for text in texts), feed.name
        assert [text.parse() for text in texts if isinstance(text, OfferText)] == offers
        for text, offer in zip(texts, offers, strict=True):
            assert (text.offer_id, text.category_id, text.vendor_code, text.supplier) == (
                offer.offer_id,
                offer.category_id,
                offer.vendor_code,
                offer.supplier,
            )
