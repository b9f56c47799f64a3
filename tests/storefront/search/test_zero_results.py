"""The zero-result page helps: a spelling suggestion from the catalogue's words, categories, best sellers."""

import itertools
from decimal import Decimal

import pytest

from storefront.db import utcnow
from storefront.order.models import OrderLine
from storefront.search.fallback import Vocabulary, edit_distance
from tests.support.factories import (
    create_buyer,
    create_category,
    create_product,
    create_supplier,
    load_rates,
    paid_order,
)

_buyers = itertools.count()


@pytest.fixture
def shop(session):
    load_rates(session)
    shoes = create_category(session, "Обувь", slug="obuv")
    audio = create_category(session, "Наушники и колонки", slug="audio")
    supplier = create_supplier(session)
    for n in range(5):
        create_product(session, shoes, supplier, title=f"Кроссовки мужские беговые {n}", popularity=100 + n)
    buds = create_product(session, audio, supplier, title="Наушники Xiaomi Redmi Buds", popularity=1)
    session.commit()
    return buds


def _sell(session, product, quantity, paid_at=None, payment_status=None):
    buyer = create_buyer(session, email=f"buyer{next(_buyers)}@example.ru")
    order = paid_order(session, buyer.id, "100.00", paid_at=paid_at)
    order.lines.append(
        OrderLine(
            product_id=product.id,
            sku=product.sku,
            title=product.title,
            quantity=quantity,
            unit_price=Decimal("100.00"),
            line_amount=Decimal("100.00") * quantity,
            commission_bp=1000,
        )
    )
    if payment_status is not None:
        order.payment_status = payment_status
    session.commit()


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("xiaomy", "xiaomi") == 1
    assert edit_distance("ксиоми", "сяоми") == 2
    assert edit_distance("abcd", "abdc") == 1
    assert edit_distance("", "abc") == 3


def test_the_vocabulary_suggests_the_commonest_nearest_catalogue_word():
    vocabulary = Vocabulary.of(["Наушники Xiaomi", "Наушники Xiaomi Buds", "Xiaomo"])
    assert vocabulary.closest("xaomi") == "xiaomi"
    assert vocabulary.closest("zzzzzz") is None


def test_an_unknown_word_gets_a_did_you_mean_link_from_the_catalogue(client, shop):
    page = client.get("/search?q=xaomi").get_data(as_text=True)
    assert "Ничего не нашлось" in page
    assert 'Возможно, вы имели в виду «<a href="/search?q=xiaomi">xiaomi</a>»?' in page
    assert client.get("/search?q=xiaomi").get_data(as_text=True).count('class="card"') == 1


def test_no_suggestion_when_the_catalogue_has_no_near_word(client, shop):
    page = client.get("/search?q=йцукенгшщ").get_data(as_text=True)
    assert "Возможно, вы имели в виду" not in page


def test_an_empty_page_always_offers_categories_and_best_sellers(client, session, shop):
    _sell(session, shop, 7)  # the least popular product is the best seller
    page = client.get("/search?q=йцукенгшщ").get_data(as_text=True)
    assert "Посмотрите в категориях:" in page
    assert 'href="/catalog/obuv"' in page and 'href="/catalog/audio"' in page  # no name matches: the top ones
    best = page[page.index("Покупатели часто берут") :]
    assert best.count('class="card"') == 6
    assert best.index("Наушники Xiaomi Redmi Buds") < best.index("Кроссовки мужские беговые 4")


def test_categories_named_by_the_query_are_offered_first(client, shop):
    page = client.get("/search?q=наушн+xaomi").get_data(as_text=True)
    help_line = page[page.index("Посмотрите в категориях:") :]
    help_line = help_line[: help_line.index("</p>")]
    assert 'href="/catalog/audio"' in help_line and 'href="/catalog/obuv"' not in help_line


def test_best_sellers_count_paid_orders_of_the_last_days_only(client, session, shop):
    from datetime import timedelta

    from storefront.order.models import PaymentStatus

    _sell(session, shop, 50, paid_at=utcnow() - timedelta(days=120))
    _sell(session, shop, 50, payment_status=PaymentStatus.REFUNDED)
    page = client.get("/search?q=йцукенгшщ").get_data(as_text=True)
    best = page[page.index("Покупатели часто берут") :]
    assert best.index("Кроссовки мужские беговые 4") < best.index("Наушники Xiaomi Redmi Buds")
