"""Everyday queries on the real engine (SQLite FTS5 or PostgreSQL GIN): stop and shop words, synonyms,
relaxation when no product has every word, categories named by the query."""

from __future__ import annotations

import pytest

from storefront.catalog.queries import ListingFilters, Sort
from storefront.search.queries import parse_query, search_products
from storefront.search.understand import alternatives, expanded_terms, query_words
from tests.support.factories import create_category, create_product, create_supplier, load_rates


def titles(result) -> list[str]:
    return [product.title for product in result.listing.products]


def search(session, query, **filters):
    filters.setdefault("sort", Sort.RELEVANCE)  # the search page's default
    return search_products(session, query, ListingFilters(**filters), per_page=24)


@pytest.fixture
def shop(session):
    load_rates(session)
    phones = create_category(session, "Аксессуары для телефонов")
    cases = create_category(session, "Чехлы для телефонов", parent=phones)
    electronics = create_category(session, "Электроника")
    chargers = create_category(session, "Зарядные устройства и кабели", parent=electronics)
    banks = create_category(session, "Внешние аккумуляторы", parent=electronics)
    clothes = create_category(session, "Толстовки и свитеры")
    sport = create_category(session, "Фитнес и тренажёры")
    toys = create_category(session, "Игрушки")
    soft = create_category(session, "Мягкие игрушки", parent=toys)
    supplier = create_supplier(session)
    for title, category, popularity in [
        ("Чехол силиконовый для iPhone 15", cases, 9),
        ("Чехол-книжка для Samsung Galaxy A55", cases, 8),
        ("Кабель USB-C — Lightning 1 м", chargers, 7),
        ("Зарядное устройство сетевое 20 Вт", chargers, 6),
        ("Внешний аккумулятор 10000 мА·ч", banks, 5),
        ("Повербанк магнитный 5000 мА·ч", banks, 4),
        ("Толстовка женская с капюшоном", clothes, 3),
        ("Гантели разборные 20 кг", sport, 2),
        ("Мягкая игрушка «Капибара» 40 см", soft, 1),
        ("Футболка детская хлопковая", clothes, 1),
    ]:
        create_product(session, category, supplier, title=title, popularity=popularity)
    session.commit()
    return {"cases": cases, "chargers": chargers, "sport": sport, "toys": toys, "soft": soft}


# --- Stop and shop words ----------------------------------------------------------------------


def test_stop_and_shop_words_are_dropped_from_the_query():
    assert query_words("купить чехол для айфона оптом недорого от производителя") == ["чехол", "айфона"]


def test_a_query_of_only_stop_words_still_searches_them():
    assert query_words("для и на") == ["для", "и", "на"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("футболки белые оптом от 50 шт", ["футболки", "белые"]),
        ("носки 10 пар", ["носки"]),
        ("внешний аккумулятор 20000", ["внешний", "аккумулятор", "20000"]),
        ("кабель 2 м", ["кабель", "2", "м"]),
    ],
)
def test_an_order_size_is_not_a_product_word(query, expected):
    assert query_words(query) == expected


@pytest.mark.parametrize(
    "query", ["гантели оптом", "купить гантели недорого", "гантели от производителя", "гантели оптом от 100 шт"]
)
def test_shop_words_do_not_stop_a_match(session, shop, query):
    result = search(session, query)
    assert titles(result) == ["Гантели разборные 20 кг"]
    assert not result.relaxed


# --- Synonyms ---------------------------------------------------------------------------------


def test_synonyms_come_from_the_data_file_by_any_form_of_the_word():
    assert "iphone" in alternatives("айфона")
    assert "внешний аккумулятор" in alternatives("пауэрбанк")
    assert "толстовка" in expanded_terms("худи")


def test_a_phrase_synonym_needs_all_its_words():
    match = parse_query("пауэрбанк")
    phrases = [element for element in match.groups[0] if " " in element]
    assert phrases and all(len(element.split(" ")) == 2 for element in phrases)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("чехлы для айфона", "Чехол силиконовый для iPhone 15"),
        ("чехол самсунг", "Чехол-книжка для Samsung Galaxy A55"),
        ("худи", "Толстовка женская с капюшоном"),
        ("шнур лайтнинг", "Кабель USB-C — Lightning 1 м"),
    ],
)
def test_colloquial_words_and_cyrillic_brands_find_the_catalogue_words(session, shop, query, expected):
    result = search(session, query)
    assert titles(result)[0] == expected
    assert not result.relaxed


def test_power_bank_spellings_find_both_names(session, shop):
    for query in ("пауэрбанк", "павербанк", "повербанк"):
        assert set(titles(search(session, query))) == {
            "Внешний аккумулятор 10000 мА·ч",
            "Повербанк магнитный 5000 мА·ч",
        }


def test_synonym_terms_are_highlighted(session, shop):
    assert "iphone" in search(session, "чехол на айфон").terms


# --- Relaxation -------------------------------------------------------------------------------


def test_no_product_with_every_word_shows_those_with_the_most(session, shop):
    result = search(session, "зарядку для телефона")
    assert result.relaxed
    assert result.listing.products
    assert titles(result)[0] == "Зарядное устройство сетевое 20 Вт"  # the head word's category first


def test_products_with_more_words_rank_first(session, shop):
    result = search(session, "чехол силиконовый капюшон")
    assert result.relaxed
    assert titles(result)[0] == "Чехол силиконовый для iPhone 15"
    assert set(titles(result)) >= {"Чехол-книжка для Samsung Galaxy A55", "Толстовка женская с капюшоном"}


def test_relaxation_is_never_empty_when_one_word_matches(session, shop):
    result = search(session, "гантели фывапролд")
    assert titles(result) == ["Гантели разборные 20 кг"]


def test_all_words_matches_do_not_relax(session, shop):
    result = search(session, "чехол силиконовый")
    assert not result.relaxed
    assert titles(result) == ["Чехол силиконовый для iPhone 15"]


def test_relaxed_results_keep_the_listing_filters_and_other_sorts(session, shop):
    result = search(session, "чехол капюшон", sort=Sort.POPULAR)
    assert result.relaxed
    assert titles(result)[0] == "Чехол силиконовый для iPhone 15"


# --- Categories named by the query ------------------------------------------------------------


@pytest.mark.parametrize("query", ["тренажёры", "тренажеры", "купить тренажеры оптом"])
def test_a_category_name_finds_the_category_products(session, shop, query):
    result = search(session, query)
    assert titles(result) == ["Гантели разборные 20 кг"]
    assert result.categories == (shop["sport"].id,)


def test_a_category_name_ranks_its_products_first(session, shop):
    result = search(session, "детские игрушки")
    assert titles(result)[0] == "Мягкая игрушка «Капибара» 40 см"
    assert set(result.categories) == set()  # «детские» names no category
    result = search(session, "игрушки")
    assert set(result.categories) == {shop["toys"].id, shop["soft"].id}


def test_the_results_page_links_the_named_category_and_says_when_words_were_missing(client, shop):
    page = client.get("/search?q=тренажеры").get_data(as_text=True)
    assert "Категория:" in page and "Фитнес и тренажёры</a>" in page
    page = client.get("/search?q=чехол+силиконовый+капюшон").get_data(as_text=True)
    assert "Показаны товары, где нашлись не все слова." in page
    assert "нашлись не все слова" not in client.get("/search?q=чехол+силиконовый").get_data(as_text=True)


def test_a_named_category_brings_its_products_without_the_word_in_their_text(session, shop):
    assert set(titles(search(session, "свитеры"))) == {"Толстовка женская с капюшоном", "Футболка детская хлопковая"}
    result = search(session, "электроника оптом")
    assert len(titles(result)) == 4
    assert not result.relaxed


def test_a_relaxed_query_reads_each_word_s_share_of_the_candidates(session, shop, monkeypatch):
    from storefront.search import queries

    read: list[int] = []
    real = queries._read_candidates

    def counted(session, match, conditions, cap):  # noqa: ANN001, ANN202
        rows = real(session, match, conditions, cap)
        read.append(len(rows))
        assert len(rows) <= cap
        return rows

    monkeypatch.setattr(queries, "CANDIDATES", 2)
    monkeypatch.setattr(queries, "_read_candidates", counted)
    result = search(session, "чехол капюшон")  # two «чехол» and one «капюшон» products, no product with both
    assert result.relaxed
    assert read[0] == 0 and read[1:] == [1, 1]  # the all-words match, then one candidate per word
    assert result.listing.total == 2  # no more than any other query reads
    assert sorted(titles(result)) == ["Толстовка женская с капюшоном", "Чехол силиконовый для iPhone 15"]


def test_under_a_small_cap_products_with_every_word_still_come_first(session, shop, monkeypatch):
    from storefront.search import queries

    monkeypatch.setattr(queries, "CANDIDATES", 3)
    result = search(session, "чехол силиконовый капюшон")
    assert result.relaxed and result.listing.total <= 3
    assert titles(result)[0] == "Чехол силиконовый для iPhone 15"  # two of the three words, ahead of one-word matches
