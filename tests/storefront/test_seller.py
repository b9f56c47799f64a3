"""The seller's legal details: read once from ``SELLER_*`` (INN and OGRN checksums verified at start) and printed
in the footer of every storefront page with the links to the policy pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from stdnum.ru import inn, ogrn

from storefront.config import ConfigError, load_config
from storefront.seller import Seller


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
