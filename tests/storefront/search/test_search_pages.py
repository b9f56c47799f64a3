"""The search page and autocomplete over HTTP: Russian copy, highlighting, escaping, no 500s."""

import pytest

from tests.support.factories import create_category, create_product, create_supplier, load_rates


@pytest.fixture
def shop(session):
    load_rates(session)
    shoes = create_category(session, "Обувь", slug="obuv")
    supplier = create_supplier(session)
    for n in range(30):
        create_product(session, shoes, supplier, title=f"Кроссовки мужские беговые {n}", popularity=n)
    create_product(session, shoes, supplier, title="Ботинки мужские зимние", sku="BT-777")
    session.commit()


def test_search_page_finds_inflected_words_and_highlights_them(client, shop):
    response = client.get("/search?q=кроссовок")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Найдено 30 товаров" in page
    assert "<mark>Кроссовки</mark> мужские беговые" in page
    assert page.count('class="card"') == 24
    assert "Обувь" in page and 'class="muted facet-count">30<' in page


def test_search_pages_keep_the_query_and_sort(client, shop):
    page = client.get("/search?q=кроссовки&sort=price_asc&page=2").get_data(as_text=True)
    assert "Страница 2 из 2" in page
    assert page.count('class="card"') == 6


def test_typo_offers_did_you_mean(client, shop):
    page = client.get("/search?q=кросовки").get_data(as_text=True)
    assert "Возможно, вы искали:" in page
    assert ">кроссовки</a>" in page


def test_wrong_layout_says_what_was_searched(client, shop):
    page = client.get("/search?q=rhjccjdrb").get_data(as_text=True)
    assert "Показаны результаты по запросу «кроссовки»" in page
    assert "Найдено 30 товаров" in page


def test_exact_sku_is_the_first_card(client, shop):
    page = client.get("/search?q=BT-777").get_data(as_text=True)
    first_card = page[page.index('class="card"') :]
    assert first_card.index("Ботинки мужские зимние") < first_card.index("</article>")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 10_000,
        "!!!",
        '" OR 1=1 --',
        "NEAR(",
        "*",
        '"',
        "<script>alert(1)</script>",
        "½ ²",
        "鞋子",
        "a'b",
        "\\",
        "𝔘𝔫𝔦",
        "и\u0306",
        "\u200b",
        "ё" * 300,
        "NOT AND OR -",
        "%00",
        "кроссовки&page=-1",
    ],
)
def test_bad_queries_never_fail_and_are_escaped(client, shop, query):
    response = client.get("/search", query_string={"q": query, "page": "abc", "sort": "evil", "category": "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in page
    suggest = client.get("/search/suggest", query_string={"q": query})
    assert suggest.status_code == 200
    assert suggest.is_json


def test_a_nul_in_the_query_is_a_russian_bad_request(client, shop):
    """NUL never reaches a query (PostgreSQL refuses it in text): ``storefront/input_bounds.py`` answers 400."""
    for path in ("/search", "/search/suggest", "/catalog/x"):
        response = client.get(path, query_string={"q": "кроссовки\x00", "attr": "\x00:\x00"})
        assert response.status_code == 400, path
        assert "Запрос не удалось разобрать" in response.get_data(as_text=True)


def test_empty_query_asks_for_a_word(client, shop):
    page = client.get("/search?q=+++").get_data(as_text=True)
    assert "Введите, что вы ищете" in page


def test_suggest_returns_products_and_categories(client, shop):
    data = client.get("/search/suggest?q=обу").get_json()
    assert data["categories"] == [{"name": "Обувь", "url": "/catalog/obuv"}]
    data = client.get("/search/suggest?q=ботин").get_json()
    assert [product["title"] for product in data["products"]] == ["Ботинки мужские зимние"]


def test_header_has_a_search_box(client, shop):
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'action="/search"' in page
