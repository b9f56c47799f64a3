"""Demand without supply: searches finding nothing or little are counted per Moscow day, without personal data."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.search.demand import count_search, demand_key
from storefront.search.models import SearchDemand
from tests.support.factories import create_category, create_product, create_supplier, load_rates


@pytest.fixture
def shop(session):
    load_rates(session)
    shoes = create_category(session, "Обувь", slug="obuv")
    supplier = create_supplier(session)
    for n in range(2):
        create_product(session, shoes, supplier, title=f"Ботинки зимние {n}")
    for n in range(10):
        create_product(session, shoes, supplier, title=f"Кроссовки мужские беговые {n}")
    session.commit()


def search(client, url):
    """A search as a WSGI server serves it: the body sent, then the response closed (which counts it)."""
    response = client.get(url, buffered=True)
    assert response.status_code == 200
    return response


def _rows(session):
    session.expire_all()
    return {row.query: row for row in session.scalars(select(SearchDemand))}


def test_the_key_is_the_meaningful_words_in_normal_form():
    assert demand_key("Чехлы для АЙФОНА оптом") == "чехол айфон"
    assert demand_key("чехол айфон") == "чехол айфон"
    assert demand_key("ivan.petrov@mail.ru") is None
    assert demand_key("перезвоните +7 (916) 123-45-67") is None
    assert demand_key("!!!") is None


def test_a_search_finding_nothing_is_counted_once_per_search_under_its_key(client, session, shop):
    search(client, "/search?q=Чехлы+для+айфона")
    search(client, "/search?q=чехол+айфон")
    row = _rows(session)["чехол айфон"]
    assert (row.searches, row.empty_searches, row.last_results) == (2, 2, 0)
    assert row.first_seen_at <= row.last_seen_at


def test_few_results_are_counted_many_are_not(client, session, shop, app):
    search(client, "/search?q=ботинки")  # 2 ≤ SEARCH_DEMAND_FEW_RESULTS (3)
    search(client, "/search?q=кроссовки")  # 10
    rows = _rows(session)
    assert set(rows) == {"ботинок"}
    assert (rows["ботинок"].searches, rows["ботинок"].empty_searches, rows["ботинок"].last_results) == (1, 0, 2)
    app.config["SEARCH_DEMAND_FEW_RESULTS"] = 0
    try:
        search(client, "/search?q=ботинки")
    finally:
        app.config["SEARCH_DEMAND_FEW_RESULTS"] = 3
    assert _rows(session)["ботинок"].searches == 1


def test_later_pages_filters_and_personal_data_are_not_counted(client, session, shop):
    search(client, "/search?q=йцукен&page=2")
    search(client, "/search?q=йцукен&in_stock=y")
    search(client, "/search?q=мой+телефон+89161234567")
    search(client, "/search?q=ivan@mail.ru")
    assert _rows(session) == {}


def test_days_are_moscow_days(session, shop):
    count_search(session, "санки", 0, datetime(2026, 12, 6, 20, 59, tzinfo=UTC))  # 23:59 in Moscow
    count_search(session, "санки", 0, datetime(2026, 12, 6, 21, 0, tzinfo=UTC))  # 00:00 on the 7th
    session.commit()
    days = sorted(row.day for row in session.scalars(select(SearchDemand)))
    assert days == [date(2026, 12, 6), date(2026, 12, 7)]


def test_concurrent_searches_of_one_query_lose_no_count(app, session, shop):
    engine = session.get_bind()

    def search_once(_: int) -> None:
        with Session(engine) as own:
            count_search(own, "санки ледянки", 0, datetime.now(UTC))
            own.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(search_once, range(40)))
    row = _rows(session)["санки ледянки"]
    assert (row.searches, row.empty_searches) == (40, 40)


def test_the_count_is_written_after_the_response_not_before(client, session, shop):
    response = client.get("/search?q=санки")  # not yet closed: the body is the buyer's, nothing is counted
    assert "Ничего не нашлось" in response.get_data(as_text=True)
    assert _rows(session) == {}
    response.close()
    assert _rows(session)["санки"].searches == 1
