"""CLI commands an administrator runs: fx update (stored files), fx policy, run-due."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from storefront import jobs
from storefront.catalog.models import Product
from storefront.db import utcnow
from storefront.fx.models import ExchangeRate
from storefront.fx.services import latest_rates
from tests.support.factories import create_category, create_product, create_supplier
from tests.support.metrics import sample

SAMPLES = Path(__file__).parent.parent / "data" / "cbr"


@pytest.fixture
def priced_product(session):
    product = create_product(session, create_category(session), create_supplier(session), breaks=[(1, "10.00")])
    session.commit()
    return product


def test_fx_update_from_a_file_stores_rates_and_reprices(runner, session, priced_product):
    assert priced_product.price_rub_from is None  # no rates yet
    result = runner.invoke(args=["fx", "update", "--file", str(SAMPLES / "XML_daily_2026-11-25.xml")])
    assert result.exit_code == 0, result.output
    assert "Курсы на 25.11.2026 загружены" in result.output
    assert "USD 81,4352 ₽" in result.output
    session.expire_all()
    assert latest_rates(session)["USD"] == Decimal("81.4352")
    # 10 USD × 81.4352 × 1.15 = 936.5048 → 937 ₽ under the default whole-rouble policy
    assert session.get(Product, priced_product.id).price_rub_from == Decimal("937.00")


def test_fx_update_twice_for_the_same_day_updates_in_place(runner, session):
    for _ in range(2):
        result = runner.invoke(args=["fx", "update", "--file", str(SAMPLES / "XML_daily_2026-11-25.xml")])
        assert result.exit_code == 0, result.output
    assert session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)) == 2  # USD and CNY


def test_fx_update_with_nominal_ten_uses_the_unit_rate(runner, session):
    result = runner.invoke(args=["fx", "update", "--file", str(SAMPLES / "XML_daily_nominal10_no_vunit.xml")])
    assert result.exit_code == 0, result.output
    assert latest_rates(session)["CNY"] == Decimal("11.0523")


@pytest.mark.parametrize("sample", ["XML_daily_truncated.xml", "XML_daily_bad_number.xml"])
def test_a_malformed_file_keeps_the_previous_rates(runner, session, priced_product, sample):
    runner.invoke(args=["fx", "update", "--file", str(SAMPLES / "XML_daily_2026-11-25.xml")])
    result = runner.invoke(args=["fx", "update", "--file", str(SAMPLES / sample)])
    assert result.exit_code == 1
    assert "Курсы не обновлены, прежние курсы сохранены" in result.output
    session.expire_all()
    assert latest_rates(session)["USD"] == Decimal("81.4352")
    assert session.get(Product, priced_product.id).price_rub_from == Decimal("937.00")


def test_fx_update_with_a_missing_file_is_a_clear_error(runner):
    result = runner.invoke(args=["fx", "update", "--file", "/nonexistent/rates.xml"])
    assert result.exit_code == 1
    assert "Файл не найден" in result.output


def test_fx_policy_changes_markup_and_rounding(runner, session, priced_product):
    runner.invoke(args=["fx", "update", "--file", str(SAMPLES / "XML_daily_2026-11-25.xml")])
    result = runner.invoke(args=["fx", "policy", "--markup", "10,5", "--rounding", "kopeck"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    # 10 × 81.4352 × 1.105 = 899.85896 → 899.86 ₽
    assert session.get(Product, priced_product.id).price_rub_from == Decimal("899.86")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--markup", "abc", "--rounding", "rouble"], "Наценка"),
        (["--markup", "-5", "--rounding", "rouble"], "Наценка"),
        (["--markup", "NaN", "--rounding", "rouble"], "Наценка"),
        (["--markup", "5", "--rounding", "sometimes"], "sometimes"),
    ],
)
def test_fx_policy_rejects_bad_arguments(runner, args, message):
    result = runner.invoke(args=["fx", "policy", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_seed_demo_rejects_a_negative_count(runner):
    result = runner.invoke(args=["seed-demo", "--products", "-5"])
    assert result.exit_code == 2
    assert "-5" in result.output


def test_run_due_runs_a_due_job_once(app, runner, session):
    calls = []

    @jobs.periodic("test-counter", every=timedelta(hours=1))
    def counter(job_session, now):
        calls.append(now)
        return "counted"

    runs = sample("mostik_job_runs_total", job="test-counter")
    try:
        first = runner.invoke(args=["run-due"])
        second = runner.invoke(args=["run-due"])
        assert "test-counter: counted" in first.output
        assert "test-counter" not in second.output
        assert len(calls) == 1
        assert sample("mostik_job_runs_total", job="test-counter") == runs + 1
        later = jobs.run_due(session, now=utcnow() + timedelta(hours=2), app=app)
        assert ("test-counter", "counted") in later
    finally:
        jobs._registry.pop("test-counter")


def test_a_failing_job_is_counted_and_the_others_still_run(app, session):
    @jobs.periodic("test-broken", every=timedelta(hours=1))
    def broken(job_session, now):
        raise RuntimeError("boom")

    failures = sample("mostik_job_failures_total", job="test-broken")
    try:
        assert ("test-broken", "failed") in jobs.run_due(session, app=app)
        assert sample("mostik_job_failures_total", job="test-broken") == failures + 1
    finally:
        jobs._registry.pop("test-broken")


def test_shipping_seed_adds_the_carriers_once(runner, session):
    from storefront.shipping.models import ShippingMethod, ShippingRate

    first = runner.invoke(args=["shipping", "seed"])
    second = runner.invoke(args=["shipping", "seed"])
    assert first.exit_code == 0 and "Добавлено способов доставки: 4." in first.output
    assert "Добавлено способов доставки: 0." in second.output
    assert session.query(ShippingMethod).count() == 4
    assert session.query(ShippingRate).count() == 20
