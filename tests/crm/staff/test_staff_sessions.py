"""Staff sessions on the server: sign-out, a password change and «Выйти на всех устройствах» end them, so a copied
cookie stops working; signing in renews the session."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.models import AuditEntry
from crm.staff.models import Role
from tests.support.factories import PASSWORD, create_buyer, make_staff
from tests.support.web import crm_csrf, crm_login, login


def _in_crm(client: FlaskClient) -> bool:
    response = client.get("/crm/")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.location.startswith("/crm/login")
    return response.status_code == 200


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in_as(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert crm_login(client, email).status_code == 302
    return client


def _actions(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    return [(e.action, e.target_id) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_cookie_copied_before_sign_out_stops_working(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = _signed_in_as(app, "admin@mostik.local")
    copy = _copy(app, client)
    assert _in_crm(copy)
    client.post("/crm/logout", data={"csrf_token": crm_csrf(client, "/crm/")})
    assert not _in_crm(client)
    assert not _in_crm(copy)


def test_a_password_change_signs_out_every_other_session(app: Flask, session: Session) -> None:
    staff = make_staff(session, Role.MARKETER)
    session.commit()
    here, there = _signed_in_as(app, "marketer@mostik.local"), _signed_in_as(app, "marketer@mostik.local")
    new = "another long password"
    wrong = here.post(
        "/crm/me/password",
        data={"csrf_token": crm_csrf(here, "/crm/me"), "current": "not it at all", "new": new, "repeat": new},
    )
    assert wrong.status_code == 400 and "Текущий пароль введён неверно" in wrong.get_data(as_text=True)
    assert _in_crm(there)
    data = {"csrf_token": crm_csrf(here, "/crm/me"), "current": PASSWORD, "new": new, "repeat": new}
    assert here.post("/crm/me/password", data=data).status_code == 302
    assert _in_crm(here) and not _in_crm(there)
    assert crm_login(app.test_client(), "marketer@mostik.local", new).status_code == 302
    assert (AuditAction.STAFF_PASSWORD_CHANGE.value, str(staff.id)) in _actions(session)


def test_an_admin_signs_a_member_out_on_every_device(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    member = make_staff(session, Role.OPERATOR)
    session.commit()
    admin = _signed_in_as(app, "admin@mostik.local")
    phone, laptop = _signed_in_as(app, "operator@mostik.local"), _signed_in_as(app, "operator@mostik.local")
    page = admin.get("/crm/staff")
    assert page.status_code == 200 and "Выйти на всех устройствах" in page.get_data(as_text=True)
    url = f"/crm/staff/{member.id}/sessions/end"
    assert admin.post(url, data={"csrf_token": crm_csrf(admin, "/crm/staff")}).status_code == 400  # no confirm
    assert _in_crm(phone)
    response = admin.post(url, data={"csrf_token": crm_csrf(admin, "/crm/staff"), "confirm": "1"})
    assert response.status_code == 302
    assert not _in_crm(phone) and not _in_crm(laptop) and _in_crm(admin)
    assert (AuditAction.STAFF_SESSIONS_END.value, str(member.id)) in _actions(session)
    # A member may not do it.
    assert phone.post(url, data={"confirm": "1"}).status_code in (302, 400)
    operator = _signed_in_as(app, "operator@mostik.local")
    forbidden = operator.post(url, data={"csrf_token": crm_csrf(operator, "/crm/"), "confirm": "1"})
    assert forbidden.status_code == 403 and _in_crm(operator)


def test_oneself_everywhere_else_and_everywhere(app: Flask, session: Session) -> None:
    admin = make_staff(session, Role.ADMIN)
    session.commit()
    here, there = _signed_in_as(app, "admin@mostik.local"), _signed_in_as(app, "admin@mostik.local")
    data = {"csrf_token": crm_csrf(here, "/crm/me"), "confirm": "1"}
    assert here.post("/crm/me/sessions/end-others", data=data).status_code == 302
    assert _in_crm(here) and not _in_crm(there)
    data = {"csrf_token": crm_csrf(here, "/crm/staff"), "confirm": "1"}
    response = here.post(f"/crm/staff/{admin.id}/sessions/end", data=data)
    assert response.status_code == 302 and response.location.startswith("/crm/login")
    assert not _in_crm(here)


def test_a_cookie_from_before_staff_sign_in_is_not_signed_in_and_the_csrf_token_changes(
    app: Flask, session: Session
) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    old_form_token = crm_csrf(client)
    with client.session_transaction() as before:
        old_token = before["csrf_token"]
    planted = _copy(app, client)
    assert crm_login(client, "admin@mostik.local").status_code == 302
    assert _in_crm(client) and not _in_crm(planted)
    crm_csrf(client, "/crm/")
    with client.session_transaction() as after:
        assert after["csrf_token"] != old_token
    client.post("/crm/logout", data={"csrf_token": old_form_token})
    assert _in_crm(client)


def test_staff_and_buyer_sign_ins_in_one_browser_keep_each_other(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    create_buyer(session)
    session.commit()
    client = _signed_in_as(app, "admin@mostik.local")
    assert login(client).status_code == 302
    assert _in_crm(client) and client.get("/account/").status_code == 200
