"""The seller's legal details: read once from ``SELLER_*`` (INN and OGRN checksums verified at start) and printed
in the footer of every storefront page with the links to the policy pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from stdnum.ru import inn, ogrn

from storefront.app import create_app
from storefront.config import ConfigError, load_config
from storefront.seller import Seller, correspondent_account_matches, settlement_account_matches


def test_the_demo_details_are_valid_and_read_into_one_value(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"MOSTIK_ENV": "testing"}, environ={})
    seller = Seller.from_config(config)
    assert inn.is_valid(seller.inn) and ogrn.is_valid(seller.ogrn) and len(seller.kpp) == 9
    assert seller.name == "ООО «Мостик»" and seller.full_name.startswith("Общество с ограниченной ответственностью")
    assert seller.email.endswith(".example")  # plainly demo: the reserved domain


@pytest.mark.parametrize(
    ("name", "value"),
    [("SELLER_INN", "7801123456"), ("SELLER_OGRN", "1247800000011"), ("SELLER_KPP", "78010100"), ("SELLER_INN", "x")],
)
def test_a_wrong_identifier_stops_the_start(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_config(tmp_path, {"MOSTIK_ENV": "testing"}, environ={name: value})


def test_every_page_footer_carries_the_details_and_the_policy_links(app, client) -> None:
    html = client.get("/account/login").get_data(as_text=True)
    for value in ("SELLER_FULL_NAME", "SELLER_INN", "SELLER_KPP", "SELLER_OGRN", "SELLER_EMAIL"):
        assert app.config[value] in html.replace("&#34;", '"').replace("&#171;", "«").replace("&#187;", "»")
    assert 'href="/legal/privacy"' in html and 'href="/legal/offer"' in html
    assert "Политика обработки персональных данных" in html and "Публичная оферта" in html
    register = client.get("/account/register").get_data(as_text=True)
    assert register.count('href="/legal/privacy"') == 2  # the footer and next to the consent


# --- bank requisites (invoices) ---------------------------------------------------------------------------------

BANK = {
    "SELLER_BANK_NAME": "ПАО Сбербанк",
    "SELLER_BIK": "044525225",
    "SELLER_SETTLEMENT_ACCOUNT": "40702810938000000001",
    "SELLER_CORRESPONDENT_ACCOUNT": "30101810400000000225",
}


def test_demo_and_test_configs_get_valid_bank_requisites(tmp_path: Path) -> None:
    for environment in ("testing", "development"):
        bank = Seller.from_config(load_config(tmp_path, {"MOSTIK_ENV": environment}, environ={})).bank
        assert bank is not None and bank.bank_name
        assert settlement_account_matches(bank.bik, bank.settlement_account)
        assert correspondent_account_matches(bank.bik, bank.correspondent_account)


def test_production_without_requisites_does_not_take_bank_transfers(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"MOSTIK_ENV": "production"}, environ={"SECRET_KEY": "k" * 40})
    seller = Seller.from_config(config)
    assert seller.bank is None and not seller.takes_bank_transfers

    configured = Seller.from_config(
        load_config(tmp_path, {"MOSTIK_ENV": "production"}, {**BANK, "SECRET_KEY": "k" * 40})
    )
    assert configured.takes_bank_transfers and configured.bank.settlement_account == "40702810938000000001"


def test_the_control_keys_follow_the_bank_of_russia_algorithm() -> None:
    # A real, published pair: Sberbank's BIK and correspondent account.
    assert correspondent_account_matches("044525225", "30101810400000000225")
    assert settlement_account_matches("044525225", "40702810938000000001")
    # One digit changed breaks the key; so does an account of another bank's BIK.
    assert not settlement_account_matches("044525225", "40702810938000000002")
    assert not correspondent_account_matches("044525225", "30101810500000000225")
    assert not correspondent_account_matches("044030999", "30101810400000000225")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SELLER_BIK", "04452522", "SELLER_BIK must be a BIK"),
        ("SELLER_BIK", "04452522x", "SELLER_BIK must be a BIK"),
        ("SELLER_SETTLEMENT_ACCOUNT", "4070281093800000000", "SELLER_SETTLEMENT_ACCOUNT must be a bank account"),
        ("SELLER_CORRESPONDENT_ACCOUNT", "3010181040000000022Z", "SELLER_CORRESPONDENT_ACCOUNT must be a bank acc"),
    ],
)
def test_wrong_digits_or_lengths_stop_the_start(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, {"MOSTIK_ENV": "testing"}, environ={**BANK, name: value})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SELLER_SETTLEMENT_ACCOUNT": "40702810938000000002"}, "SELLER_SETTLEMENT_ACCOUNT does not match"),
        ({"SELLER_CORRESPONDENT_ACCOUNT": "30101810400000000999"}, "SELLER_CORRESPONDENT_ACCOUNT does not match"),
        ({"SELLER_BANK_NAME": None}, "missing: SELLER_BANK_NAME"),
    ],
)
def test_requisites_that_do_not_fit_together_stop_the_app(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app({"MOSTIK_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", **BANK, **changes})
