"""Buyers' server-side sessions: a copied session or remember cookie stops working at sign-out, a password reset
or «end the other sessions»; signing in renews the session (no fixation, a new CSRF token), keeping the cart."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.account.services import make_reset_token
from storefront.cart.models import Cart
from storefront.logins.models import LoginKind, LoginSession
from storefront.logins.services import Client, find_session, open_session, token_id, touch
from tests.support.factories import create_buyer, create_shop
from tests.support.web import add_to_cart, csrf_token, login

PASSWORD = "correct horse battery"


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/account/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _copy(app: Flask, client: FlaskClient, *names: str) -> FlaskClient:
    """Another browser holding copies of these cookies of ``client``."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def _sessions(session: Session, buyer_id: int) -> int:
    session.expire_all()
    query = select(func.count()).where(LoginSession.kind == LoginKind.BUYER, LoginSession.user_id == buyer_id)
    return session.scalar(query) or 0


def test_a_session_cookie_copied_before_sign_out_stops_working(app: Flask, session: Session) -> None:
    buyer = create_buyer(session)
    session.commit()
    client = app.test_client()
    assert login(client).status_code == 302
    copy = _copy(app, client, "session")
    assert _signed_in(copy)
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/")})
    assert not _signed_in(client)
    response = copy.get("/account/")
    assert response.status_code == 302 and response.location.startswith("/account/login")
    assert _sessions(session, buyer.id) == 0


def test_the_remember_cookie_obeys_sign_out_and_is_same_site(app: Flask, session: Session) -> None:
    create_buyer(session)
    session.commit()
    client = app.test_client()
    response = client.post(
        "/account/login",
        data={"csrf_token": csrf_token(client), "email": "buyer@example.ru", "password": PASSWORD, "remember": "y"},
    )
    cookie_header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "SameSite=Lax" in cookie_header and "HttpOnly" in cookie_header
    remembered = _copy(app, client, "remember_token")  # a browser with the remember cookie only
    assert _signed_in(remembered)
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/")})
    assert not _signed_in(_copy(app, remembered, "remember_token"))


def test_a_password_reset_ends_every_other_session(app: Flask, session: Session) -> None:
    buyer = create_buyer(session)
    session.commit()
    elsewhere = app.test_client()
    login(elsewhere)
    assert _signed_in(elsewhere)
    client = app.test_client()
    path = f"/account/password-reset/{make_reset_token(buyer, app.config['SECRET_KEY'])}"
    new = "a brand new password"
    data = {"csrf_token": csrf_token(client, path), "password": new, "password_again": new}
    assert client.post(path, data=data).status_code == 302
    assert _signed_in(client)
    assert not _signed_in(elsewhere)
    assert _sessions(session, buyer.id) == 1


def test_a_session_cookie_from_before_sign_in_is_not_signed_in_and_the_csrf_token_changes(
    app: Flask, session: Session
) -> None:
    create_buyer(session)
    product = create_shop(session)
    session.commit()
    client = app.test_client()
    assert add_to_cart(client, product.id, product.moq).status_code == 303
    old_form_token = csrf_token(client, "/account/login")
    with client.session_transaction() as before:
        old_token = before["csrf_token"]
    planted = _copy(app, client, "session")  # what an attacker fixed in the victim's browser
    assert login(client).status_code == 302
    assert _signed_in(client)
    assert not _signed_in(planted)
    csrf_token(client, "/account/")
    with client.session_transaction() as after:
        assert after["csrf_token"] != old_token
    # The old form's token no longer passes: the sign-out it would send is refused.
    client.post("/account/logout", data={"csrf_token": old_form_token})
    assert _signed_in(client)
    # The guest cart (its own cookie) came along into the account.
    session.expire_all()
    (cart,) = session.scalars(select(Cart)).all()
    assert cart.buyer_id is not None and [line.product_id for line in cart.lines] == [product.id]


def test_the_buyer_sees_their_sessions_and_ends_the_others(app: Flask, session: Session) -> None:
    buyer = create_buyer(session)
    session.commit()
    here, there, third = app.test_client(), app.test_client(), app.test_client()
    for client in (here, there, third):
        login(client)
    page = here.get("/account/sessions", headers={"User-Agent": "Firefox"})
    assert page.status_code == 200 and "Этот браузер" in page.get_data(as_text=True)
    rows = session.scalars(select(LoginSession).where(LoginSession.user_id == buyer.id)).all()
    with there.session_transaction() as cookie:
        there_token = cookie["_user_id"].partition(".")[2]
    there_id = token_id(there_token)
    assert there_id in {row.id for row in rows}
    token = csrf_token(here, "/account/sessions")
    assert here.post(f"/account/sessions/{there_id}/end", data={"csrf_token": token}).status_code == 302
    assert not _signed_in(there) and _signed_in(third)
    here.post("/account/sessions/end-others", data={"csrf_token": csrf_token(here, "/account/sessions")})
    assert not _signed_in(third) and _signed_in(here)
    assert _sessions(session, buyer.id) == 1


def test_a_buyer_cannot_end_someone_elses_session(app: Flask, session: Session) -> None:
    create_buyer(session)
    other = create_buyer(session, email="other@example.ru")
    session.commit()
    victim, client = app.test_client(), app.test_client()
    login(victim, "other@example.ru")
    login(client)
    (victim_row,) = session.scalars(select(LoginSession).where(LoginSession.user_id == other.id)).all()
    token = csrf_token(client, "/account/")
    client.post(f"/account/sessions/{victim_row.id}/end", data={"csrf_token": token})
    assert _signed_in(victim)


def test_a_visit_is_noted_at_most_once_a_minute_and_stale_rows_go_at_the_next_sign_in(session: Session) -> None:
    client = Client(ip_address="203.0.113.5", user_agent="Firefox")
    old = open_session(session, LoginKind.BUYER, 7, client)
    session.commit()
    row = find_session(session, LoginKind.BUYER, 7, old)
    assert row is not None and find_session(session, LoginKind.STAFF, 7, old) is None
    assert find_session(session, LoginKind.BUYER, 8, old) is None
    seen = row.last_seen_at
    assert not touch(session, row, seen + timedelta(seconds=30))
    assert touch(session, row, seen + timedelta(minutes=2))
    session.commit()
    session.expire_all()
    assert find_session(session, LoginKind.BUYER, 7, old).last_seen_at == seen + timedelta(minutes=2)
    new = open_session(session, LoginKind.BUYER, 7, client, stale_before=seen + timedelta(minutes=3))
    session.commit()
    assert find_session(session, LoginKind.BUYER, 7, old) is None
    assert find_session(session, LoginKind.BUYER, 7, new) is not None
