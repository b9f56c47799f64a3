"""Catalogue pages over HTTP: rendering in Russian, bad query strings, redirects, errors."""

import pytest

from storefront.catalog.models import ProductStatus
from tests.support.factories import create_category, create_product, create_supplier, load_rates

NBSP = "\xa0"


@pytest.fixture
def shop(session):
    load_rates(session, usd="80.0000", cny="11.0000")
    root = create_category(session, "Обувь", slug="obuv", icon="👟")
    leaf = create_category(session, "Кроссовки", parent=root, slug="krossovki")
    supplier = create_supplier(session, city="Иу", name="Иу Синьхуа Трейдинг")
    products = [
        create_product(
            session, leaf, supplier, title=f"Кроссовки мужские беговые {n}", breaks=[(1, "10.00"), (10, "9.00")]
        )
        for n in range(30)
    ]
    archived = create_product(session, leaf, supplier, title="Старые кеды", status=ProductStatus.ARCHIVED)
    session.commit()
    return {"root": root, "leaf": leaf, "products": products, "archived": archived}


def test_home_shows_category_tiles_in_russian(client, shop):
    page = client.get("/").get_data(as_text=True)
    assert "Категории" in page
    assert "Обувь" in page
    assert "Популярные товары" in page


def test_category_page_counts_with_the_right_plural_and_pages_by_24(client, shop):
    response = client.get("/catalog/obuv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "30 товаров" in page
    assert page.count('class="card"') == 24
    assert "Страница 1 из 2" in page
    assert f"от 1{NBSP}000{NBSP}₽" in page or "от" in page


def test_second_page_holds_the_rest(client, shop):
    page = client.get("/catalog/obuv?page=2").get_data(as_text=True)
    assert page.count('class="card"') == 6


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-3",
        "page=0",
        "page=99999999999999999999999",
        "sort=bogus",
        "price_min=x",
        "price_max=1e999",
        "price_min=-5",
        "price_min=NaN",
        "city=Атлантида",
        "in_stock=maybe",
        "page=1&page=2",
        "price_min=%00",
        "sort=%ff%fe",
        "price_min=" + "9" * 5000,
    ],
)
def test_bad_query_strings_never_cause_a_500(client, shop, query):
    response = client.get(f"/catalog/obuv?{query}")
    assert response.status_code in (200, 400)
    assert "Что-то пошло не так" not in response.get_data(as_text=True)


def test_a_bad_price_filter_is_explained_in_russian(client, shop):
    page = client.get("/catalog/obuv?price_min=x").get_data(as_text=True)
    assert "Введите цену в рублях" in page
    assert "30 товаров" in page  # the bad filter is dropped, not applied


def test_unknown_category_is_a_russian_404(client, shop):
    response = client.get("/catalog/net-takoi")
    assert response.status_code == 404
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_product_page_shows_price_breaks_in_roubles(client, shop):
    product = shop["products"][0]
    response = client.get(f"/product/{product.id}-{product.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # 10 USD × 80 × 1.15 markup = 920 ₽, 9 USD → 828 ₽ (default policy: 15 %, whole roubles)
    assert f"920,00{NBSP}₽" in page
    assert f"828,00{NBSP}₽" in page
    assert "от 10 шт." in page
    assert "Иу Синьхуа Трейдинг" in page
    assert "Минимальная партия" in page


def test_stale_product_slug_redirects_to_the_canonical_url(client, shop):
    product = shop["products"][0]
    for stale in (f"/product/{product.id}-old-name", f"/product/{product.id}"):
        response = client.get(stale)
        assert response.status_code == 301
        assert response.headers["Location"].endswith(f"/product/{product.id}-{product.slug}")


def test_archived_product_page_says_it_is_no_longer_sold(client, shop):
    product = shop["archived"]
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    assert "больше не продаётся" in page


def test_missing_product_is_404(client, shop):
    assert client.get("/product/999999-x").status_code == 404
    assert client.get("/product/abc-x").status_code == 404


def test_placeholder_image_is_an_svg(client, shop):
    response = client.get(f"/media/placeholder/{shop['products'][0].id}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "max-age=86400" in response.headers["Cache-Control"]


def test_language_switcher_remembers_the_choice(client, shop):
    response = client.get("/language/en?next=/catalog/obuv")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/catalog/obuv")
    page = client.get("/catalog/obuv").get_data(as_text=True)
    assert "30 products" in page
    client.get("/language/ru")
    assert "30 товаров" in client.get("/catalog/obuv").get_data(as_text=True)


def test_accept_language_is_used_without_a_cookie(client, shop):
    page = client.get("/catalog/obuv", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "30 products" in page
    page = client.get("/catalog/obuv", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert "30 товаров" in page


def test_unknown_language_is_ignored(client, shop):
    response = client.get("/language/xx?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_category_names_follow_the_language(client, session):
    load_rates(session)
    create_category(session, "Обувь", slug="obuv-en", name_en="Shoes")
    session.commit()
    assert "<h1>Обувь</h1>" in client.get("/catalog/obuv-en").get_data(as_text=True)
    client.get("/language/en")
    assert "<h1>Shoes</h1>" in client.get("/catalog/obuv-en").get_data(as_text=True)
