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
    current, following = _benefit_lists(section)
    assert current == ["Скидка 2 % на товары", "Ответ по спору — в течение 5 дней"]
    assert "Уровень Золото даёт" in section
    assert following == [
        "Скидка 4,5 % на товары",
        "Бесплатная доставка любого заказа",
        "Ответ по спору — в течение 3 дней",  # DISPUTE_ANSWER_DAYS_BY_TIER: gold:3,
        "Персональный менеджер",
        "Приоритетная сборка",
    ]


def _benefit_lists(section: str) -> list[list[str]]:
    return [
        re.findall(r"<li>(.*?)</li>", body)
        for body in re.findall(r'<ul class="tier-benefits[^"]*">(.*?)</ul>', section, re.S)
    ]


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
def test_a_new_buyer_is_in_the_first_tier_and_sees_what_the_next_gives(client, session: Session, spend) -> None:
    _tiers(session)
    buyer = create_buyer(session)  # as an old account the CRM never graded: no tier stored
    session.commit()
    if spend:
        paid_order(session, buyer.id, spend)
        session.commit()
    login(client)

    section = _tier_section(client)

    assert "У вас пока нет уровня" not in section
    assert "Ваш уровень: Стандарт" in section
    left = "300 000 ₽" if spend is None else "250 000 ₽"
    assert f"до уровня Серебро осталось {left}" in section
    assert _benefit_lists(section) == [
        ["Ответ по спору — в течение 5 дней"],
        ["Скидка 2 % на товары", "Ответ по спору — в течение 5 дней"],
    ]


def test_benefits_come_from_the_settings_the_tier_and_shipping_use(app, client, session: Session) -> None:
    """The dispute answer time per tier (DISPUTE_ANSWER_DAYS_BY_TIER) and the shop-wide free shipping threshold."""
    from storefront.protection.policy import ProtectionPolicy
    from storefront.shipping.models import ShippingMethod

    tiers = _tiers(session)
    create_buyer(session, tier_id=tiers["silver"].id)
    session.add(ShippingMethod(code="cdek", name="СДЭК", carrier="СДЭК", free_threshold_amount=Decimal("50000")))
    session.commit()
    policy = app.extensions["protection_policy"]
    app.extensions["protection_policy"] = ProtectionPolicy(answer_days=5, answer_days_by_tier={"gold": 2})
    try:
        login(client)
        current, following = _benefit_lists(_tier_section(client))
    finally:
        app.extensions["protection_policy"] = policy
    assert current == ["Скидка 2 % на товары", "Бесплатная доставка от 50 000 ₽", "Ответ по спору — в течение 5 дней"]
    assert "Бесплатная доставка любого заказа" in following and "Ответ по спору — в течение 2 дней" in following


def test_registration_puts_a_new_buyer_in_the_first_tier(client, session: Session) -> None:
    from sqlalchemy import select

    from storefront.account.models import Buyer
    from storefront.account.services import ConsentRecord, register_buyer

    tiers = _tiers(session)
    buyer = register_buyer(
        session, email="new@example.ru", password="correct horse battery", name="Новый", phone=None,
        company=None, consent=ConsentRecord("/account/register", "127.0.0.1", marketing=False),
    )  # fmt: skip
    session.commit()
    assert session.scalar(select(Buyer.tier_id).where(Buyer.id == buyer.id)) == tiers["standard"].id


def test_without_a_tier_policy_the_page_says_nothing_about_tiers(client, session: Session) -> None:
    create_buyer(session)
    session.commit()
    login(client)
    html = client.get("/account/").get_data(as_text=True)
    assert "tier-card" not in html


def _profile(client, **fields: str):
    from tests.support.web import csrf_token

    data = {"csrf_token": csrf_token(client, "/account/"), "name": "Иван Петров", "phone": "+7 916 123-45-67"}
    return client.post("/account/profile", data={**data, "kind": "person", **fields})


def test_the_buyer_gives_a_telegram_and_a_whatsapp_on_the_account_page(client, session: Session) -> None:
    from storefront.account.models import Buyer

    buyer = create_buyer(session)
    session.commit()
    login(client)
    assert "Имя пользователя в Телеграме" in client.get("/account/").get_data(as_text=True)
    assert _profile(client, telegram="t.me/ivan_petrov", whatsapp="8 921 555-12-34").status_code == 302
    session.expire_all()
    assert (session.get(Buyer, buyer.id).telegram, session.get(Buyer, buyer.id).whatsapp) == (
        "ivan_petrov",
        "+79215551234",
    )
    page = client.get("/account/").get_data(as_text=True)
    assert 'value="@ivan_petrov"' in page and 'value="+7 921 555-12-34"' in page
    refused = _profile(client, telegram="иван", whatsapp="")
    assert refused.status_code == 400 and "Укажите имя пользователя Telegram" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Buyer, buyer.id).telegram == "ivan_petrov"
    assert _profile(client, telegram="", whatsapp="").status_code == 302
    session.expire_all()
    assert session.get(Buyer, buyer.id).telegram is None and session.get(Buyer, buyer.id).whatsapp is None
