"""Registration, sign-in, throttling, consents, addresses and password reset over SMTP."""

import re

import pytest
from sqlalchemy import func, select

from storefront.account.models import Address, Buyer, Consent, ConsentKind
from storefront.account.services import make_reset_token, reset_password
from tests.support.factories import create_buyer
from tests.support.web import csrf_token, login

REGISTRATION = {
    "email": "  Ivan.Petrov@Example.RU ",
    "name": "Иван Петров",
    "phone": "8 916 123-45-67",
    "password": "correct horse battery",
    "password_again": "correct horse battery",
    "kind": "person",
    "consent_personal_data": "y",
}


def _register(client, **changes):
    data = {**REGISTRATION, "csrf_token": csrf_token(client, "/account/register"), **changes}
    return client.post("/account/register", data={k: v for k, v in data.items() if v is not None})


def test_registration_normalises_email_and_phone_and_stores_the_consent(client, session):
    response = _register(client)
    assert response.status_code == 302
    buyer = session.scalars(select(Buyer)).one()
    assert buyer.email == "ivan.petrov@example.ru"
    assert buyer.phone == "+79161234567"
    assert buyer.password_hash.startswith("$argon2")
    consents = session.scalars(select(Consent)).all()
    assert [(c.kind, c.text_version, c.source_page) for c in consents] == [
        (ConsentKind.PERSONAL_DATA, "pd-2026-11", "/account/register")
    ]
    assert consents[0].ip_address == "127.0.0.1"


def test_registration_without_personal_data_consent_is_refused(client, session):
    response = _register(client, consent_personal_data=None)
    assert response.status_code == 400
    assert "Без этого согласия" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Buyer.id))) == 0


def test_the_same_email_in_another_case_cannot_register_twice(client, session):
    _register(client)
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/")})
    response = _register(client, email="IVAN.PETROV@example.ru")
    assert response.status_code == 400
    assert "уже есть" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Buyer.id))) == 1


def test_company_registration_checks_inn_and_kpp(client, session):
    bad_inn = _register(
        client, kind="company", company_name="ООО «Ромашка»", inn="7707083894", kpp="770701001", legal_address="Москва"
    )
    assert bad_inn.status_code == 400
    assert "контрольн" in bad_inn.get_data(as_text=True)
    bad_kpp = _register(
        client, kind="company", company_name="ООО «Ромашка»", inn="7707083893", kpp="77070", legal_address="Москва"
    )
    assert bad_kpp.status_code == 400
    assert "КПП" in bad_kpp.get_data(as_text=True)
    assert session.scalar(select(func.count(Buyer.id))) == 0
    good = _register(
        client, kind="company", company_name="ООО «Ромашка»", inn="7707083893", kpp="770701001", legal_address="Москва"
    )
    assert good.status_code == 302
    assert session.scalars(select(Buyer)).one().inn == "7707083893"


def test_invalid_phone_email_and_kazakh_number_are_refused(client, session):
    for changes in ({"phone": "+7 701 123 45 67"}, {"phone": "abc"}, {"email": "ivan@"}):
        response = _register(client, **changes)
        assert response.status_code == 400
    assert session.scalar(select(func.count(Buyer.id))) == 0


def test_wrong_password_then_throttled_per_account(client, session):
    create_buyer(session)
    session.commit()
    for _ in range(5):
        assert login(client, password="wrong password").status_code == 400
    throttled = login(client)
    assert throttled.status_code == 429
    assert "Слишком много" in throttled.get_data(as_text=True)


def test_login_is_case_insensitive_and_marketing_consent_is_withdrawn_in_one_click(client, session):
    buyer = create_buyer(session)
    session.commit()
    assert login(client, email="BUYER@example.ru").status_code == 302
    token = csrf_token(client, "/account/")
    client.post("/account/consents/marketing/grant", data={"csrf_token": token})
    session.expire_all()
    assert buyer.has_consent(ConsentKind.MARKETING)
    client.post("/account/consents/marketing/withdraw", data={"csrf_token": token})
    session.expire_all()
    assert not buyer.has_consent(ConsentKind.MARKETING)
    marketing = session.scalars(select(Consent).where(Consent.kind == ConsentKind.MARKETING)).one()
    assert marketing.withdrawn_at is not None


def test_saved_address_needs_a_region_from_the_list_and_six_digit_postcode(client, session):
    create_buyer(session)
    session.commit()
    login(client)
    data = {
        "csrf_token": csrf_token(client, "/account/"),
        "region_code": "77",
        "city": "Москва",
        "postcode": "1010",
        "street": "ул. Тверская, 1",
        "recipient": "Иван",
        "recipient_phone": "+79161234567",
    }
    assert client.post("/account/addresses", data=data).status_code == 400
    assert (
        client.post("/account/addresses", data={**data, "postcode": "101000", "region_code": "XX"}).status_code == 400
    )
    assert session.scalar(select(func.count(Address.id))) == 0
    assert client.post("/account/addresses", data={**data, "postcode": "101000"}).status_code == 302
    assert session.scalars(select(Address)).one().postcode == "101000"


def test_password_reset_link_arrives_by_smtp_and_works_once(client, session, mailbox):
    create_buyer(session)
    session.commit()
    response = client.post(
        "/account/password-reset",
        data={"csrf_token": csrf_token(client, "/account/password-reset"), "email": "Buyer@example.ru"},
    )
    assert response.status_code == 302
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "buyer@example.ru"
    text = message.get_body(("plain",)).get_content()
    path = re.search(r"https?://[^/\s]+(/account/password-reset/\S+)", text).group(1)
    page = client.get(path)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post(
        path, data={"csrf_token": token, "password": "new password 1", "password_again": "new password 1"}
    )
    assert done.status_code == 302
    assert client.get(path).status_code == 400  # used once


def test_a_password_reset_signs_the_account_out_of_other_sessions(app, client, session):
    create_buyer(session)
    session.commit()
    other_device = app.test_client()
    login(other_device)
    assert other_device.get("/account/").status_code == 200
    buyer = session.scalars(select(Buyer)).one()
    token = make_reset_token(buyer, app.config["SECRET_KEY"])
    reset_password(session, token, app.config["SECRET_KEY"], "a brand new password")
    session.commit()
    response = other_device.get("/account/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_a_forged_reset_token_is_refused(client):
    response = client.get("/account/password-reset/forged.token")
    assert response.status_code == 400
    assert "устарела" in response.get_data(as_text=True)


def test_post_without_csrf_token_changes_nothing(client, session):
    response = client.post("/account/register", data={k: v for k, v in REGISTRATION.items()})
    assert response.status_code == 400
    assert session.scalar(select(func.count(Buyer.id))) == 0


def test_sign_in_is_throttled_per_ip_across_accounts(client, session):
    for n in range(20):
        assert login(client, email=f"nobody{n}@example.ru", password="wrong password").status_code == 400
    assert login(client, email="someone-else@example.ru").status_code == 429


def test_rate_limits_live_in_redis_when_redis_url_is_set(monkeypatch, tmp_path):
    """REDIS_URL → Flask-Limiter storage in Redis (the one on 127.0.0.1:6379 answers); memory otherwise."""
    from limits.storage import storage_from_string

    from storefront.config import load_config

    monkeypatch.delenv("REDIS_URL", raising=False)
    assert load_config(tmp_path, {"MOSTIK_ENV": "testing"})["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    uri = load_config(tmp_path, {"MOSTIK_ENV": "testing"})["RATELIMIT_STORAGE_URI"]
    assert uri == "redis://127.0.0.1:6379/15"
    storage = storage_from_string(uri)
    if not storage.check():
        pytest.skip("no Redis on 127.0.0.1:6379")
    storage.reset()


def test_account_pages_ask_a_guest_to_sign_in_in_russian(client):
    response = client.get("/account/orders", follow_redirects=True)
    assert response.request.path == "/account/login"
    assert "Войдите, чтобы открыть эту страницу." in response.get_data(as_text=True)
