"""The category page's facets over HTTP: facet panels, removable chips, the reset link, bad values."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.factories import create_category, create_product, create_supplier, load_rates


@pytest.fixture
def shop(session):
    """12 T-shirts: colour and size attributes, a factory in Иу (4.7) and a trading company in
    Гуанчжоу (rating 3.8), a supplier of unknown kind and rating; MOQ 1, 5 and 200."""
    load_rates(session, usd="80.0000", cny="11.0000")
    category = create_category(session, "Футболки", slug="futbolki")
    factory = create_supplier(session, city="Иу", is_factory=True, rating_tenths=47)
    trader = create_supplier(session, city="Гуанчжоу", is_factory=False, rating_tenths=38)
    unknown = create_supplier(session, city="Нинбо")
    colours, sizes, moqs = ("красный", "синий", "белый"), ("S", "M"), (1, 5, 200)
    for index in range(12):
        create_product(
            session,
            category,
            (factory, trader, unknown)[index % 3],
            title=f"Футболка хлопковая {index}",
            moq=moqs[index % 3],
            stock=index % 2 * 10,
            attributes={"Цвет": colours[index % 3 if index < 6 else 0], "Размер": sizes[index % 2], "Бренд": "Акме"},
        )
    session.commit()
    return category


def _page(client, query: str = "") -> str:
    response = client.get(f"/catalog/futbolki{'?' + query if query else ''}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _count(page: str) -> int:
    found = re.search(r'<p class="count">(\d+) товар', page)
    assert found, "no product count"
    return int(found.group(1))


def _chips(page: str) -> dict[str, dict[str, list[str]]]:
    """Chip label → the query string its link leads to."""
    return {
        unescape(label).strip(): parse_qs(urlsplit(unescape(href)).query)
        for href, label in re.findall(r'<a class="chip" href="([^"]*)"[^>]*>([^<]*)<', page)
    }


def test_the_panel_offers_attribute_moq_kind_and_rating_facets_with_counts(client, shop):
    page = _page(client)
    assert _count(page) == 12
    for legend in ("Минимальная партия", "Поставщик", "Рейтинг поставщика", "Цвет", "Размер"):
        assert f"<legend>{legend}</legend>" in page, legend
    assert 'name="attr" value="Цвет:красный"' in page
    assert "Бренд" not in page.split('class="results"')[0]  # a single value is no facet
    assert 'name="moq" value="1"' in page and 'name="moq" value="more"' in page
    assert 'name="moq" value="100"' not in page  # no product with MOQ 11–100
    # Only suppliers whose kind and rating are known are counted.
    assert re.search(r'value="factory"[^>]*> Фабрика <span class="muted facet-count">4<', page)
    assert re.search(r'value="trader"[^>]*> Торговая компания <span [^>]*>4<', page)
    assert re.search(r'value="4.5"[^>]*> 4,5 и выше <span [^>]*>4<', page)
    assert re.search(r'value="3.5"[^>]*> 3,5 и выше <span [^>]*>8<', page)
    assert not _chips(page) and "Сбросить все" not in page


def test_counts_of_a_facet_ignore_its_own_choice_and_apply_the_others(client, shop):
    page = _page(client, "attr=Цвет:синий&kind=factory")
    assert _count(page) == 0  # the factory's T-shirts are red (index 0, 3, 6, 9)
    assert re.search(r'value="Цвет:красный"[^>]*> красный <span [^>]*>4<', page)  # the factory's colours
    assert re.search(r'value="trader"[^>]*> Торговая компания <span [^>]*>2<', page)  # blue: index 1 and 4
    page = _page(client, "kind=factory&kind=trader&moq=1")
    assert _count(page) == 4  # MOQ 1 is the factory's (index % 3 == 0)
    assert re.search(r'value="more"[^>]*> больше 100 шт. <span [^>]*>0<', page) is None


def test_each_chip_removes_its_own_filter_and_keeps_the_others_and_the_sort(client, shop):
    page = _page(client, "city=Иу&attr=Размер:S&attr=Цвет:красный&moq=1&rating=4.5&in_stock=y&price_min=10&sort=new")
    chips = _chips(page)
    assert set(chips) == {
        "Цена от 10 ₽".replace(" ₽", "\xa0₽"),
        "Минимальная партия: 1 шт.",
        "Рейтинг поставщика 4,5 и выше",
        "Иу",
        "Размер: S",
        "Цвет: красный",
        "Только в наличии",
    }
    everything = {
        "city": ["Иу"], "attr": ["Размер:S", "Цвет:красный"], "moq": ["1"], "rating": ["4.5"], "in_stock": ["y"],
        "price_min": ["10"], "sort": ["new"],
    }  # fmt: skip
    removed = {
        "Иу": ("city", None),
        "Размер: S": ("attr", "Размер:S"),
        "Цвет: красный": ("attr", "Цвет:красный"),
        "Минимальная партия: 1 шт.": ("moq", None),
        "Рейтинг поставщика 4,5 и выше": ("rating", None),
        "Только в наличии": ("in_stock", None),
    }
    for label, (key, value) in removed.items():
        expected = {k: list(v) for k, v in everything.items()}
        if value is None:
            del expected[key]
        else:
            expected[key].remove(value)
        assert chips[label] == expected, label
    reset = re.search(r'<a class="chips-reset" href="([^"]*)">Сбросить все</a>', page)
    assert reset and unescape(reset.group(1)) == "/catalog/futbolki?sort=new"


def test_following_a_chip_widens_the_listing(client, shop):
    narrow = _page(client, "attr=Размер:S&in_stock=y")
    assert _count(narrow) == 0  # size S is every even index, stock is every odd one
    link = unescape(re.search(r'<a class="chip" href="([^"]*)"[^>]*>Размер: S<', narrow).group(1))
    wider = client.get(link).get_data(as_text=True)
    assert _count(wider) == 6
    assert set(_chips(wider)) == {"Только в наличии"}


@pytest.mark.parametrize(
    "query",
    [
        "moq=bogus",
        "moq=",
        "rating=9",
        "rating=NaN",
        "rating=sNaN",
        "rating=4.55",
        "rating=" + "4" * 5000,
        "kind=shop",
        "attr=Цвет",
        "attr=Цвет:",
        "attr=:красный",
        "attr=Неизвестно:красный",
        'attr=Цв"ет:красный',
        "attr=Цвет:" + "к" * 500,
        "city=",
        "city=" + "И" * 500,
    ],
)
def test_bad_filter_values_are_ignored_never_a_500(client, shop, query):
    page = _page(client, query)
    assert _count(page) == 12
    assert not _chips(page)


def test_many_attribute_values_are_capped_not_a_500(client, shop):
    query = "&".join(f"attr=Цвет:цвет{n}" for n in range(200))
    response = client.get(f"/catalog/futbolki?{query}")
    assert response.status_code == 200
    assert len(_chips(response.get_data(as_text=True))) == 20


def test_an_unknown_value_of_a_known_attribute_stays_removable(client, shop):
    page = _page(client, "attr=Цвет:зелёный")
    assert _count(page) == 0
    assert set(_chips(page)) == {"Цвет: зелёный"}
    assert 'value="Цвет:зелёный" checked' in page


@pytest.mark.parametrize("query", ["moq=1", "kind=factory", "rating=4", "attr=Цвет:синий"])
def test_new_filters_make_the_listing_noindex_and_keep_the_canonical(app, client, shop, query):
    page = _page(client, query)
    assert '<meta name="robots" content="noindex, follow">' in page
    base = str(app.config["PUBLIC_BASE_URL"]).rstrip("/")
    assert f'<link rel="canonical" href="{base}/catalog/futbolki">' in page


def test_pages_and_sorts_keep_the_new_filters(client, shop, app, monkeypatch):
    monkeypatch.setitem(app.config, "PRODUCTS_PER_PAGE", 2)
    page = _page(client, "attr=Цвет:красный&kind=factory&moq=1")
    following = re.search(r'<a rel="next" href="([^"]*)"', page)
    assert following
    args = parse_qs(urlsplit(unescape(following.group(1))).query)
    assert args["attr"] == ["Цвет:красный"] and args["kind"] == ["factory"] and args["moq"] == ["1"]
    sort_link = re.search(r'<a href="([^"]*sort=price_asc[^"]*)"', page)
    assert sort_link and "kind=factory" in unescape(sort_link.group(1))
