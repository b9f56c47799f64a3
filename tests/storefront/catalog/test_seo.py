"""What search engines read: canonical URLs, noindex, meta descriptions and the product JSON-LD."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape

from storefront.catalog import seo
from storefront.catalog.models import ProductStatus
from tests.support.factories import create_category, create_product, create_supplier, load_rates


def _world(session, **fields):
    load_rates(session)  # USD 80: breaks 10/9/8 USD → 800/720/640 ₽ before the markup
    category = create_category(session, "Кроссовки")
    product = create_product(session, category, create_supplier(session), **fields)
    session.commit()
    return category, product


def _one(pattern, page):
    found = re.findall(pattern, page, re.S)
    assert len(found) == 1, (pattern, found)
    return found[0]


def _meta_description(page):
    return unescape(_one(r'<meta name="description" content="([^"]*)">', page))


def _base(app):
    return app.config["PUBLIC_BASE_URL"].rstrip("/")


def test_a_listing_is_canonical_without_sort_or_filters_and_keeps_the_page(app, client, session, monkeypatch):
    category, product = _world(session)
    create_product(session, category, product.supplier, title="Кеды")
    session.commit()
    monkeypatch.setitem(app.config, "PRODUCTS_PER_PAGE", 1)
    base = _base(app)
    page = client.get(f"/catalog/{category.slug}?sort=price_asc").get_data(as_text=True)
    assert _one(r'<link rel="canonical" href="([^"]*)">', page) == f"{base}/catalog/{category.slug}"
    assert 'name="robots"' not in page
    page = client.get(f"/catalog/{category.slug}?page=2&sort=new").get_data(as_text=True)
    assert unescape(_one(r'<link rel="canonical" href="([^"]*)">', page)) == f"{base}/catalog/{category.slug}?page=2"
    page = client.get(f"/catalog/{category.slug}?page=1").get_data(as_text=True)
    assert _one(r'<link rel="canonical" href="([^"]*)">', page) == f"{base}/catalog/{category.slug}"


def test_filtered_listings_and_search_results_are_noindex(client, session):
    category, _product = _world(session)
    for query in ("in_stock=y", "price_min=100", "price_max=100000", "city=Гуанчжоу"):
        page = client.get(f"/catalog/{category.slug}?{query}").get_data(as_text=True)
        assert '<meta name="robots" content="noindex, follow">' in page, query
    page = client.get("/search?q=кроссовки").get_data(as_text=True)
    assert '<meta name="robots" content="noindex, follow">' in page


def test_a_category_has_a_russian_meta_description_with_price_and_moq(client, session):
    category, product = _world(session, moq=5)
    page = client.get(f"/catalog/{category.slug}").get_data(as_text=True)
    text = _meta_description(page)
    assert text.startswith("Кроссовки")
    assert "5 шт" in text and "₽" in text
    assert len(text) <= seo.DESCRIPTION_LIMIT


def test_a_product_has_a_canonical_url_and_an_escaped_short_meta_description(app, client, session):
    title = 'Кроссовки "Бег" <b>мужские</b> ' + "очень длинное название " * 10
    category, product = _world(session, title=title, moq=7)
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    assert _one(r'<link rel="canonical" href="([^"]*)">', page) == f"{_base(app)}/product/{product.id}-{product.slug}"
    assert "<b>мужские" not in page.split("<body")[0]
    text = _meta_description(page)
    assert text.startswith('Кроссовки "Бег" <b>мужские</b>')  # escaped in the page, plain text here
    assert len(text) <= seo.DESCRIPTION_LIMIT
    assert "7 шт" in text and "₽" in text and "Кроссовки" in text


def _json_ld(page):
    return json.loads(_one(r'<script type="application/ld\+json">(.*?)</script>', page))


def test_the_product_json_ld_has_the_lowest_break_price_in_roubles(app, client, session):
    category, product = _world(
        session, attributes={"Бренд": "Li-Ning", "Цвет": "белый"}, description="<p>Лёгкие &amp; мягкие</p>"
    )
    product.picture_urls = ["https://img.example.cn/1.jpg"]
    session.commit()
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    data = _json_ld(page)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Product"
    assert data["name"] == product.title and data["sku"] == product.sku
    assert data["brand"] == {"@type": "Brand", "name": "Li-Ning"}
    assert data["image"] == ["https://img.example.cn/1.jpg"]
    assert data["description"] == "Лёгкие & мягкие"
    offers = data["offers"]
    session.refresh(product)
    assert offers["@type"] == "AggregateOffer"
    assert offers["priceCurrency"] == "RUB"
    assert offers["price"] == offers["lowPrice"] == f"{product.price_rub_from:.2f}"
    assert Decimal(offers["highPrice"]) > Decimal(offers["lowPrice"])
    assert re.fullmatch(r"\d+\.\d\d", offers["price"])
    assert offers["availability"] == "https://schema.org/InStock"
    assert offers["url"] == f"{_base(app)}/product/{product.id}-{product.slug}"


def test_json_ld_omits_placeholders_and_unknowns(client, session):
    category, product = _world(session, breaks=((1, "10.00"),), stock=None)
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    data = _json_ld(page)
    assert "image" not in data and "brand" not in data and "description" not in data
    assert data["offers"]["@type"] == "Offer" and "lowPrice" not in data["offers"]
    assert "availability" not in data["offers"]


def test_availability_follows_the_stock(session):
    _category, product = _world(session)
    product.stock = 0
    assert seo.availability(product) == "https://schema.org/BackOrder"
    product.stock = 3
    assert seo.availability(product) == "https://schema.org/InStock"
    product.status = ProductStatus.ARCHIVED
    assert seo.availability(product) == "https://schema.org/Discontinued"


def test_json_ld_cannot_close_its_script(client, session):
    _category, product = _world(session, title="Кроссовки </script><script>alert(1)</script>")
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert _json_ld(page)["name"] == product.title


def test_shorten_cuts_at_a_word():
    assert seo.shorten("слово " * 50, 20) == "слово слово слово…"
    assert seo.shorten("  коротко\n текст ") == "коротко текст"


def test_the_home_page_is_canonical_without_query_args(app, client, session):
    page = client.get("/?utm_source=yandex").get_data(as_text=True)
    assert _one(r'<link rel="canonical" href="([^"]*)">', page) == f"{_base(app)}/"
    assert 'name="robots"' not in page
