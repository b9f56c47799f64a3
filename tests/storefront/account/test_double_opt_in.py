"""Double opt-in: a marketing consent counts only after the address's owner opens the signed, expiring link sent to
it (registration, checkout, the profile); the link is refused in Russian when forged or expired; the e-mail is
throttled per address. Over the loopback SMTP sink, on both engines."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.account.models import Consent, ConsentKind
from storefront.account.opt_in import make_confirm_token
from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_buyer, create_shop
from tests.support.web import GUEST, add_to_cart, csrf_token, login, place, register

LINK_RE = re.compile(r"https?://\S+/account/consents/marketing/confirm/[\w.\-]+")


def _marketing(session: Session) -> Consent:
    session.expire_all()
    return session.scalars(select(Consent).where(Consent.kind == ConsentKind.MARKETING)).one()


def _link(mailbox) -> str:
    (message,) = [m for m in mailbox.messages if "подписку" in m["Subject"]]
    match = LINK_RE.search(message.get_body(("plain",)).get_content())
    assert match, "no confirmation link in the e-mail"
    return match.group(0)


def _path(link: str) -> str:
    return link[link.index("/account/") :]


def _confirm(client: FlaskClient, path: str, address: str = "203.0.113.5"):
    page = client.get(path)
    assert page.status_code == 200 and "Да, присылайте предложения" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token}, environ_base={"REMOTE_ADDR": address})


def test_registration_asks_the_address_to_confirm_and_only_the_link_confirms(
    client: FlaskClient, session: Session, mailbox
) -> None:
    response = register(client)
    assert response.status_code == 302
    consent = _marketing(session)
    assert consent.confirmed_at is None and consent.pending
    message = next(m for m in mailbox.messages if "подписку" in m["Subject"])
    assert message["To"] == "olga@example.ru"
    assert message["Subject"] == "Подтвердите подписку на предложения Мостика"
    text = message.get_body(("plain",)).get_content()
    assert "Ссылка действует 72 часа" in text and "ничего присылать не будем" in text
    profile = client.get("/account/").get_data(as_text=True)
    assert "ждём подтверждения из письма" in profile and "Отправить ссылку ещё раз" in profile

    path = _path(_link(mailbox))
    assert _marketing(session).confirmed_at is None  # opening the link alone (a mail scanner) confirms nothing
    done = _confirm(client, path)

    assert done.status_code == 302
    consent = _marketing(session)
    assert consent.confirmed_at is not None and consent.confirmed_ip == "203.0.113.5"
    assert not consent.pending
    again = _confirm(client, path)  # a second press changes nothing
    assert again.status_code == 302 and _marketing(session).confirmed_at == consent.confirmed_at


def test_a_forged_or_expired_link_is_refused_in_russian_and_confirms_nothing(
    app: Flask, client: FlaskClient, session: Session, mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(client)
    path = _path(_link(mailbox))

    forged = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert forged.status_code == 400
    assert "Ссылка подтверждения повреждена" in forged.get_data(as_text=True)
    other = make_confirm_token(_marketing(session), "another-secret-key")
    assert client.get(f"/account/consents/marketing/confirm/{other}").status_code == 400

    signed_at = time.time() - timedelta(hours=73).total_seconds()
    with monkeypatch.context() as patch:
        patch.setattr("itsdangerous.timed.time.time", lambda: signed_at)
        old = make_confirm_token(_marketing(session), app.config["SECRET_KEY"])
    expired = client.get(f"/account/consents/marketing/confirm/{old}")
    assert expired.status_code == 400
    assert "Срок действия ссылки подтверждения истёк" in expired.get_data(as_text=True)
    csrf = csrf_token(client, "/account/")
    assert client.post(f"/account/consents/marketing/confirm/{old}", data={"csrf_token": csrf}).status_code == 400
    assert _marketing(session).confirmed_at is None


def test_a_guest_ticking_marketing_at_checkout_gets_the_link(client: FlaskClient, session: Session, mailbox) -> None:
    product = create_shop(session)
    session.commit()
    method = session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == "cdek-pickup")).one()
    add_to_cart(client, product.id, 1)
    assert place(client, method, consent_marketing="y").status_code == 303
    consent = _marketing(session)
    assert consent.buyer_id is None and consent.email == GUEST["email"].lower() and consent.pending
    assert _confirm(client, _path(_link(mailbox))).status_code == 302
    assert _marketing(session).confirmed_at is not None


def test_turning_marketing_on_in_the_profile_sends_the_link_and_resending_is_throttled(
    app: Flask, client: FlaskClient, session: Session, mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MARKETING_CONFIRM_MAIL_LIMIT", "2 per day")
    create_buyer(session)
    session.commit()
    login(client)
    token = csrf_token(client, "/account/")
    granted = client.post("/account/consents/marketing/grant", data={"csrf_token": token}, follow_redirects=True)
    assert "Мы отправили ссылку на buyer@example.ru" in granted.get_data(as_text=True)
    resent = client.post("/account/consents/marketing/resend", data={"csrf_token": token}, follow_redirects=True)
    assert "Мы отправили ссылку" in resent.get_data(as_text=True)
    refused = client.post("/account/consents/marketing/resend", data={"csrf_token": token}, follow_redirects=True)
    assert refused.status_code == 200
    assert "Не удалось отправить ссылку сейчас" in refused.get_data(as_text=True)
    assert len([m for m in mailbox.messages if "подписку" in m["Subject"]]) == 2
    assert _marketing(session).pending
