"""The buyer's tier on their account page: benefits and «до уровня … осталось …», from the storefront's own spend
query (paid orders of the last 365 days net of refunds), on both engines."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from storefront.account.models import Tier
from tests.support.factories import create_buyer, days_ago, paid_order
from tests.support.web import login


def _tiers(session: Session) -> dict[str, Tier]:
    tiers = {
        "standard": Tier(code="standard", name="Стандарт", position=0, threshold_amount=Decimal("0")),
        "silver": Tier(code="silver", name="Серебро", position=1, threshold_amount=Decimal("300000"), discount_bp=200),
        "gold": Tier(
            code="gold",
            name="Золото",
            position=2,
            threshold_amount=Decimal("1200000"),
            discount_bp=450,
            free_shipping=True,
            dedicated_manager=True,
            perks="Приоритетная сборка",
        ),
    }
    session.add_all(tiers.values())
    session.commit()
    return tiers


def _tier_section(client) -> str:
    html = client.get("/account/").get_data(as_text=True).replace("\u00a0", " ")
    match = re.search(r'<section class="tier-card" id="tier">(.*?)</section>', html, re.S)
    assert match, "no tier section"
    return match.group(1)


def test_a_silver_buyer_sees_benefits_and_what_is_left_to_gold(client, session: Session) -> None:
    tiers = _tiers(session)
    buyer = create_buyer(session, tier_id=tiers["silver"].id)
    session.commit()
    paid_order(session, buyer.id, "1000000.00", paid_at=days_ago(10), refunded="20000.00")
    paid_order(session, buyer.id, "100000.00", paid_at=days_ago(364))  # near the window edge, still inside
    paid_order(session, buyer.id, "500000.00", paid_at=days_ago(366))  # too old
    session.commit()
    login(client)

    section = _tier_section(client)

    assert "Ваш уровень: Серебро" in section
    assert "Скидка 2 % на товары" in section
    assert "Оплачено за последние 12 месяцев за вычетом возвратов: 1 080 000 ₽" in section
    assert "до уровня Золото осталось 120 000 ₽" in section
    assert 'aria-valuenow="86"' in section  # (1 080 000 − 300 000) / (1 200 000 − 300 000)
    assert "Бесплатная доставка" not in section


def test_a_gold_buyer_at_the_top_sees_every_benefit_and_no_next_level(client, session: Session) -> None:
    tiers = _tiers(session)
    create_buyer(session, tier_id=tiers["gold"].id)
    session.commit()
    login(client)

    section = _tier_section(client)

    assert "Ваш уровень: Золото" in section
    for benefit in ("Скидка 4,5 % на товары", "Бесплатная доставка", "Персональный менеджер", "Приоритетная сборка"):
        assert benefit in section, benefit
    assert "Это наш высший уровень" in section
    assert "осталось" not in section and "progressbar" not in section


@pytest.mark.parametrize("spend", [None, "50000.00"])
def test_a_buyer_with_no_tier_sees_the_way_to_the_first_paid_level(client, session: Session, spend) -> None:
    _tiers(session)
    buyer = create_buyer(session)
    session.commit()
    if spend:
        paid_order(session, buyer.id, spend)
        session.commit()
    login(client)

    section = _tier_section(client)

    assert "У вас пока нет уровня" in section
    left = "300 000 ₽" if spend is None else "250 000 ₽"
    assert f"до уровня Серебро осталось {left}" in section


def test_without_a_tier_policy_the_page_says_nothing_about_tiers(client, session: Session) -> None:
    create_buyer(session)
    session.commit()
    login(client)
    html = client.get("/account/").get_data(as_text=True)
    assert "tier-card" not in html
