"""Contact on the card and «Мои клиенты» (issue 18): phones written for people with ``tel:`` links, e-mail,
Telegram and WhatsApp links where the buyer gave them, the messengers typed on the card (validated, audited,
scoped), the phone and the next task on «Мои клиенты», tier benefits on the card, the manual-tier form starting
at the current tier — and marketers never see a contact."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import Environment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.buyers.services import assign_managers
from crm.permissions import PERMISSIONS, has_permission
from crm.staff.models import Role
from crm.tiers.services import seed_tiers, tiers_in_order
from crm.workspace.services import open_task
from storefront.account.identifiers import (
    InvalidIdentifier,
    normalize_telegram,
    normalize_whatsapp,
    phone_href,
    telegram_href,
    whatsapp_href,
)
from storefront.account.models import Buyer
from storefront.db import utcnow
from tests.support.factories import create_buyer, make_staff, paid_order
from tests.support.web import crm_csrf, crm_login

PHONE = "+79215551234"


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert crm_login(client, email).status_code == 302
    return client


def _world(session: Session) -> tuple[int, int]:
    seed_tiers(session)
    buyer = create_buyer(session, email="ivan@example.ru", phone=PHONE, telegram="ivan_petrov", whatsapp=PHONE)
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="anna@mostik.local")
    make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    make_staff(session, Role.ADMIN)
    session.commit()
    assign_managers(session, [buyer.id], manager.id)
    session.commit()
    return buyer.id, manager.id


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("@ivan_petrov", "ivan_petrov"),
        ("https://t.me/Ivan_Petrov", "Ivan_Petrov"),
        ("t.me/ivan_petrov/", "ivan_petrov"),
    ],
)
def test_telegram_usernames_are_normalised(typed: str, stored: str) -> None:
    assert normalize_telegram(typed) == stored


@pytest.mark.parametrize("typed", ["@iv", "иван_петров", "ivan petrov", "1ivan_petrov", "ivan__petrov", "ivan_", ""])
def test_bad_telegram_usernames_are_refused(typed: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalize_telegram(typed)


def test_whatsapp_numbers_and_the_links() -> None:
    assert normalize_whatsapp("8 921 555-12-34") == PHONE
    assert normalize_whatsapp("+86 139 1099 8888") == "+8613910998888"  # a supplier's Chinese number is fine
    with pytest.raises(InvalidIdentifier):
        normalize_whatsapp("12345")
    assert phone_href(PHONE) == "tel:+79215551234" and phone_href(None) == ""
    assert whatsapp_href(PHONE) == "https://wa.me/79215551234"
    assert telegram_href("ivan_petrov") == "https://t.me/ivan_petrov" and telegram_href(None) == ""


def test_the_phone_filter_writes_numbers_for_people(app: Flask) -> None:
    env: Environment = app.jinja_env
    assert env.from_string("{{ p|phone }}").render(p=PHONE) == "+7 921 555-12-34"
    assert env.from_string("{{ p|phone }}").render(p=None) == ""


def test_the_card_links_every_contact_the_buyer_gave(app: Flask, session: Session) -> None:
    buyer_id, _ = _world(session)
    html = _client(app, "anna@mostik.local").get(f"/crm/buyers/{buyer_id}").get_data(as_text=True)
    contact = re.search(r'<section id="contact">(.*?)</section>', html, re.S).group(1)
    assert '<a href="tel:+79215551234">+7 921 555-12-34</a>' in contact
    assert '<a href="mailto:ivan@example.ru">ivan@example.ru</a>' in contact
    assert 'href="https://t.me/ivan_petrov"' in contact and "Telegram: @ivan_petrov" in contact
    assert 'href="https://wa.me/79215551234"' in contact and "WhatsApp: +7 921 555-12-34" in contact


def test_no_messenger_links_when_the_buyer_gave_none(app: Flask, session: Session) -> None:
    buyer_id, _ = _world(session)
    buyer = session.get(Buyer, buyer_id)
    buyer.telegram = buyer.whatsapp = None
    session.commit()
    html = _client(app, "anna@mostik.local").get(f"/crm/buyers/{buyer_id}").get_data(as_text=True)
    assert "t.me/" not in html and "wa.me/" not in html and 'href="tel:+79215551234"' in html


def _save(client: FlaskClient, buyer_id: int, telegram: str, whatsapp: str):
    token = crm_csrf(client, f"/crm/buyers/{buyer_id}")
    return client.post(
        f"/crm/buyers/{buyer_id}/messengers", data={"csrf_token": token, "telegram": telegram, "whatsapp": whatsapp}
    )


def test_the_manager_types_the_messengers_and_the_change_is_audited(app: Flask, session: Session) -> None:
    buyer_id, _ = _world(session)
    client = _client(app, "anna@mostik.local")
    response = _save(client, buyer_id, "@Petrov_Opt", "8 (921) 555-00-11")
    assert response.status_code == 302 and response.location == f"/crm/buyers/{buyer_id}#contact"
    session.expire_all()
    buyer = session.get(Buyer, buyer_id)
    assert (buyer.telegram, buyer.whatsapp) == ("Petrov_Opt", "+79215550011")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "buyer.messengers")).one()
    assert "Petrov_Opt" in entry.detail
    # Empty boxes clear both; saving the same again is not audited again.
    assert _save(client, buyer_id, "", "").status_code == 302
    assert _save(client, buyer_id, "", "").status_code == 302
    session.expire_all()
    assert (session.get(Buyer, buyer_id).telegram, session.get(Buyer, buyer_id).whatsapp) == (None, None)
    count = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "buyer.messengers")
    assert session.scalar(count) == 2


@pytest.mark.parametrize(
    ("telegram", "whatsapp", "message"),
    [
        ("@iv", "", "Укажите имя пользователя Telegram"),
        ("", "555", "Укажите номер WhatsApp, например +7 921 555-12-34."),
    ],
)
def test_bad_messengers_are_a_400_in_russian_and_change_nothing(
    app: Flask, session: Session, telegram: str, whatsapp: str, message: str
) -> None:
    buyer_id, _ = _world(session)
    response = _save(_client(app, "anna@mostik.local"), buyer_id, telegram, whatsapp)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Buyer, buyer_id).telegram == "ivan_petrov"
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "buyer.messengers")
    assert session.scalar(audited) == 0


@pytest.mark.parametrize(
    ("role", "email", "status"),
    [
        (Role.ADMIN, "admin@mostik.local", 302),
        (Role.ACCOUNT_MANAGER, "anna@mostik.local", 302),  # the buyer's own manager
        (Role.ACCOUNT_MANAGER, "olga@mostik.local", 403),  # another manager
        (Role.MARKETER, "marketer@mostik.local", 403),
        (Role.OPERATOR, "operator@mostik.local", 403),
        (Role.FINANCE, "finance@mostik.local", 403),
    ],
)
def test_who_may_type_the_messengers(app: Flask, session: Session, role: str, email: str, status: int) -> None:
    buyer_id, _ = _world(session)
    if role in (Role.MARKETER, Role.OPERATOR, Role.FINANCE):
        make_staff(session, role, email=email)
        session.commit()
    assert has_permission(role, "buyers.contacts") == (status == 302 or email == "olga@mostik.local")
    client = _client(app, email)
    token = crm_csrf(client, "/crm/me")
    data = {"csrf_token": token, "telegram": "someone_else", "whatsapp": ""}
    assert client.post(f"/crm/buyers/{buyer_id}/messengers", data=data).status_code == status
    anonymous = app.test_client().post(f"/crm/buyers/{buyer_id}/messengers", data=data)
    assert anonymous.status_code in (302, 400)  # the sign-in page (or the CSRF check before it)
    session.expire_all()
    assert (session.get(Buyer, buyer_id).telegram == "someone_else") == (status == 302)


def test_my_clients_shows_the_phone_and_the_next_task(app: Flask, session: Session) -> None:
    buyer_id, manager_id = _world(session)
    now = utcnow()
    open_task(session, buyer_id=buyer_id, title="Позже", due_at=now + timedelta(days=9), assignee_id=manager_id)
    open_task(session, buyer_id=buyer_id, title="Отправить прайс", due_at=now + timedelta(days=2), assignee_id=None)
    session.commit()
    html = _client(app, "anna@mostik.local").get("/crm/my").get_data(as_text=True)
    row = re.search(rf'<tr id="buyer-{buyer_id}">(.*?)</tr>', html, re.S).group(1)
    assert '<a href="tel:+79215551234">+7 921 555-12-34</a>' in row
    assert "Отправить прайс" in row and "Позже" not in row


def test_the_card_says_what_this_tier_and_the_next_give(app: Flask, session: Session) -> None:
    buyer_id, _ = _world(session)
    paid_order(session, buyer_id, "400000.00")
    session.commit()
    from crm.tiers.services import upgrade_on_payment

    upgrade_on_payment(session, buyer_id)
    session.commit()
    html = _client(app, "anna@mostik.local").get(f"/crm/buyers/{buyer_id}").get_data(as_text=True)
    html = html.replace("\u00a0", " ")
    benefits = re.search(r'<div class="crm-tier-benefits">(.*?)</div>\s*<div class="crm-progress">', html, re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", benefits.group(1)))
    assert "Серебро даёт Скидка 2 % на товары" in text
    assert "Золото даст Скидка 4 % на товары Бесплатная доставка любого заказа" in text
    assert "Ответ по спору — в течение 3 дней Персональный менеджер" in text  # gold:3 in the default settings
    assert "800 000 ₽ до уровня Золото" in html or "до уровня Золото осталось 800 000 ₽" in html


def test_a_buyer_without_a_tier_is_shown_in_the_first_one_on_the_card(app: Flask, session: Session) -> None:
    buyer_id, _ = _world(session)
    html = _client(app, "anna@mostik.local").get(f"/crm/buyers/{buyer_id}").get_data(as_text=True)
    assert "Уровень: Стандарт" in html and "Стандарт даёт" in html and "(первый уровень)" in html


def test_the_manual_tier_form_starts_at_the_current_tier(app: Flask, session: Session) -> None:
    buyer_id, _ = _world(session)
    gold = next(tier for tier in tiers_in_order(session) if tier.code == "gold")
    session.get(Buyer, buyer_id).tier_id = gold.id
    session.commit()
    html = _client(app, "admin@mostik.local").get(f"/crm/buyers/{buyer_id}").get_data(as_text=True)
    form = re.search(r'action="/crm/buyers/\d+/tier".*?</form>', html, re.S).group(0)
    assert re.search(rf'<option selected value="{gold.id}">Золото</option>', form), form


def test_marketers_never_see_a_contact(app: Flask, session: Session) -> None:
    """Every page a marketer may open without arguments, and the segment preview: no phone, e-mail or messenger."""
    from tests.crm.test_crm_permissions import _crm_rules

    buyer_id, _ = _world(session)
    paid_order(session, buyer_id, "400000.00")
    make_staff(session, Role.MARKETER)
    session.commit()
    client = _client(app, "marketer@mostik.local")
    for path in ("/crm/reorders", "/crm/my", f"/crm/buyers/{buyer_id}", "/crm/buyers/"):
        assert client.get(path).status_code == 403, path
    assert not has_permission(Role.MARKETER, "buyers.contacts") and Role.MARKETER not in PERMISSIONS["buyers.view"]
    pages = [rule.rule for rule in _crm_rules(app) if "GET" in rule.methods and not rule.arguments]
    opened = 0
    for path in pages:
        permission = getattr(app.view_functions[app.url_map.bind("").match(path)[0]], "crm_permission", None)
        if permission is None or not has_permission(Role.MARKETER, permission) or path.endswith(".csv"):
            continue
        html = client.get(path).get_data(as_text=True)
        opened += 1
        for secret in ("921555", "921 555", "ivan@example.ru", "ivan_petrov", "wa.me", "tel:"):
            assert secret not in html, (path, secret)
    assert opened >= 5
    token = crm_csrf(client, "/crm/segments/new")
    everyone = json.dumps({"op": "and", "conditions": []})
    preview = client.post(
        "/crm/segments/preview", data=everyone, headers={"X-CSRFToken": token, "Content-Type": "application/json"}
    )
    assert preview.status_code == 200 and preview.get_json()["buyers"][0]["name"] == "Иван Петров"
    assert "921" not in preview.get_data(as_text=True) and "ivan" not in preview.get_data(as_text=True)
