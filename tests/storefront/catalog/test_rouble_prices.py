"""Rates → rouble prices: the one-statement SQL recompute must equal the Python formula."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storefront.catalog.models import Product
from storefront.catalog.services import recompute_rouble_prices
from storefront.fx.models import PriceRounding
from storefront.fx.services import current_pricing, latest_rates, update_pricing_policy
from tests.support.factories import create_category, create_product, create_supplier, load_rates


def test_latest_rate_per_currency_wins(session):
    load_rates(session, usd="79.0000", cny="10.9000", on=date(2026, 11, 20))
    load_rates(session, usd="81.4352", cny="11.3862", on=date(2026, 11, 25))
    rates = latest_rates(session)
    assert rates["USD"] == Decimal("81.4352")
    assert rates["CNY"] == Decimal("11.3862")
    assert rates["RUB"] == Decimal(1)


def test_rates_keep_six_decimal_places_exactly(session):
    load_rates(session, usd="81.435219", cny="0.000001")
    session.commit()
    assert latest_rates(session)["USD"] == Decimal("81.435219")
    assert latest_rates(session)["CNY"] == Decimal("0.000001")


def test_price_uses_rate_markup_and_rounding(session):
    load_rates(session, usd="80.0000")
    update_pricing_policy(session, Decimal("15"), PriceRounding.KOPECK)
    product = create_product(session, create_category(session), create_supplier(session), breaks=[(1, "10.01")])
    # 10.01 USD × 80 × 1.15 = 920.92 ₽
    assert product.price_rub_from == Decimal("920.92")
    update_pricing_policy(session, Decimal("15"), PriceRounding.TEN_ROUBLES)
    recompute_rouble_prices(session)
    assert session.get(Product, product.id).price_rub_from == Decimal("920.00")


def test_products_in_a_currency_without_a_rate_get_no_price(session):
    product = create_product(session, create_category(session), create_supplier(session), currency="CNY")
    assert product.price_rub_from is None
    load_rates(session, cny="11.0000")
    recompute_rouble_prices(session)
    assert session.get(Product, product.id).price_rub_from is not None


def test_recompute_is_one_update_statement_and_writes_only_changed_rows(session):
    load_rates(session)
    category, supplier = create_category(session), create_supplier(session)
    for index in range(5):
        create_product(session, category, supplier, breaks=[(1, f"{index + 1}.00")])
    load_rates(session, usd="90.0000", on=date(2026, 11, 26))
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        changed = recompute_rouble_prices(session)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert changed == 5
    updates = [sql for sql in statements if sql.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    assert recompute_rouble_prices(session) == 0  # nothing moved: nothing written


def test_recompute_leaves_updated_at_alone(session):
    load_rates(session)
    product = create_product(session, create_category(session), create_supplier(session))
    session.commit()
    before = session.get(Product, product.id).updated_at
    load_rates(session, usd="95.0000", on=date(2026, 11, 26))
    recompute_rouble_prices(session)
    session.commit()
    refreshed = session.get(Product, product.id)
    assert refreshed.updated_at == before
    assert refreshed.price_rub_from == Decimal("874.00")  # lowest break 8 USD × 95 × 1.15


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prices=st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2), min_size=1, max_size=8
    ),
    usd=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("300"), places=4),
    cny=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50"), places=4),
    markup=st.decimals(min_value=Decimal("0"), max_value=Decimal("300"), places=2),
    rounding=st.sampled_from(list(PriceRounding)),
)
def test_sql_recompute_equals_the_python_formula(session, prices, usd, cny, markup, rounding):
    session.execute(sa.delete(Product))
    load_rates(session, usd=str(usd), cny=str(cny), on=date(2026, 1, 1))
    update_pricing_policy(session, markup, rounding)
    category, supplier = create_category(session), create_supplier(session)
    products = [
        create_product(session, category, supplier, breaks=[(1, str(price))], currency=("USD", "CNY")[i % 2])
        for i, price in enumerate(prices)
    ]
    expected = {p.id: current_pricing(session).to_rub(p.source_price_from, p.currency) for p in products}
    recompute_rouble_prices(session)
    actual = dict(session.execute(sa.select(Product.id, Product.price_rub_from)).all())
    assert actual == expected
    session.rollback()
