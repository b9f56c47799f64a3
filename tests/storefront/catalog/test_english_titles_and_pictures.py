"""English pages show a product's English title where the feed gave one; the cart and the product's JSON-LD use
our own downloaded pictures."""

from __future__ import annotations

import json
import re
from html import unescape

from storefront.pictures.models import PictureStatus, ProductPicture
from tests.support.factories import create_category, create_product, create_supplier, load_rates
from tests.support.web import add_to_cart


def _product(session, **fields):
    load_rates(session)
    product = create_product(session, create_category(session), create_supplier(session), **fields)
    session.commit()
    return product


def _ready_picture(session, product, key: str, position: int = 0) -> None:
    sizes = {"400": [400, 400], "800": [800, 600], "1600": [1600, 1200]}
    session.add(
        ProductPicture(product_id=product.id, position=position, status=PictureStatus.READY, file_key=key, sizes=sizes)
    )
    session.commit()


def test_english_pages_show_the_english_title_and_russian_pages_the_russian_one(client, session):
    product = _product(session, title="Рюкзак городской", title_en="City backpack")
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    assert "<h1>Рюкзак городской</h1>" in page and "City backpack" not in page
    listing = f"/catalog/{product.category.slug}"
    assert "Рюкзак городской" in client.get(listing).get_data(as_text=True)

    client.get("/language/en")
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    assert "<h1>City backpack</h1>" in page
    assert '<p class="muted" lang="ru">Рюкзак городской</p>' in page  # the original, for whoever asks the supplier
    assert '"name": "City backpack"' in unescape(page) or '"name":"City backpack"' in unescape(page)
    assert "City backpack" in client.get(listing).get_data(as_text=True)  # the card
    add_to_cart(client, product.id, product.moq)
    assert "City backpack" in client.get("/cart").get_data(as_text=True)


def test_a_product_without_an_english_title_keeps_its_russian_title_on_english_pages(client, session):
    product = _product(session, title="Кроссовки мужские")
    client.get("/language/en")
    assert "<h1>Кроссовки мужские</h1>" in client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)


def test_the_cart_shows_each_products_first_picture_and_the_placeholder_only_without_one(client, session):
    with_picture = _product(session, title="Рюкзак городской")
    _ready_picture(session, with_picture, "b" * 16, position=1)
    _ready_picture(session, with_picture, "a" * 16, position=0)
    without = create_product(session, with_picture.category, with_picture.supplier, title="Сумка")
    session.commit()
    add_to_cart(client, with_picture.id, with_picture.moq)
    add_to_cart(client, without.id, without.moq)
    page = client.get("/cart").get_data(as_text=True)
    assert f"/media/pictures/{'a' * 16}-400.webp" in page and f"{'b' * 16}-400.webp" not in page
    assert f"/media/placeholder/{without.id}.svg" in page
    assert f"/media/placeholder/{with_picture.id}.svg" not in page


def test_json_ld_lists_our_own_pictures_once_downloaded(app, client, session):
    product = _product(session, title="Рюкзак городской")
    product.picture_urls = ["https://img.example.cn/1.jpg"]
    session.commit()
    _ready_picture(session, product, "c" * 16)
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    data = json.loads(unescape(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)))
    assert len(data["image"]) == 1
    assert data["image"][0].endswith(f"/media/pictures/{'c' * 16}-1600.webp")
    assert data["image"][0].startswith("http")
