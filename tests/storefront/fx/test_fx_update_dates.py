"""``flask fx update --file``: an older file never passes for the current rates; ``--force`` stores it as history."""

from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from storefront.catalog.models import Product
from storefront.fx.models import ExchangeRate
from storefront.fx.services import latest_rates, newest_rate_date
from tests.support.factories import create_category, create_product, create_supplier

SAMPLES = Path(__file__).parents[2] / "data" / "cbr"
NEWER = str(SAMPLES / "XML_daily_2026-11-25.xml")  # USD 81,4352
OLDER = str(SAMPLES / "XML_daily_nominal10_no_vunit.xml")  # 21.11.2026: USD 79,88, CNY 110,523 per 10


def _rows(session):
    session.expire_all()
    return session.execute(
        sa.select(ExchangeRate.currency, ExchangeRate.rate_date, ExchangeRate.rate).order_by(
            ExchangeRate.currency, ExchangeRate.rate_date
        )
    ).all()


def test_an_older_file_is_refused_and_changes_nothing(runner, session):
    product = create_product(session, create_category(session), create_supplier(session), breaks=[(1, "10.00")])
    session.commit()
    assert runner.invoke(args=["fx", "update", "--file", NEWER]).exit_code == 0
    before, price = _rows(session), session.get(Product, product.id).price_rub_from

    result = runner.invoke(args=["fx", "update", "--file", OLDER])
    assert result.exit_code == 1
    assert (
        "В файле курсы на 21.11.2026 — старше сохранённых курсов на 25.11.2026: ничего не изменено. "
        "Чтобы всё же сохранить их (как историю; цены останутся по новейшим курсам), добавьте --force."
    ) in result.output
    assert "загружены" not in result.output
    assert _rows(session) == before
    assert session.get(Product, product.id).price_rub_from == price == Decimal("937.00")


def test_force_stores_the_older_rates_and_says_which_rates_prices_use(runner, session):
    assert runner.invoke(args=["fx", "update", "--file", NEWER]).exit_code == 0
    result = runner.invoke(args=["fx", "update", "--file", OLDER, "--force"])
    assert result.exit_code == 0, result.output
    assert "Курсы на 21.11.2026 загружены: USD 79,8800 ₽, CNY 11,0523 ₽." in result.output
    assert "Цены по-прежнему считаются по более новым курсам на 25.11.2026: USD 81,4352 ₽" in result.output
    assert len(_rows(session)) == 4
    assert latest_rates(session)["USD"] == Decimal("81.4352")
    assert newest_rate_date(session).isoformat() == "2026-11-25"


def test_a_newer_file_reports_its_own_rates(runner, session):
    assert runner.invoke(args=["fx", "update", "--file", OLDER]).exit_code == 0
    result = runner.invoke(args=["fx", "update", "--file", NEWER])
    assert result.exit_code == 0, result.output
    assert "Курсы на 25.11.2026 загружены: USD 81,4352 ₽" in result.output
    assert "более новым" not in result.output
