from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.auth import SEEN_KEY, SIGNED_IN_KEY
from crm.staff.models import Role, StaffUser
from tests.support.factories import PASSWORD, create_buyer, make_staff
from tests.support.web import crm_csrf, crm_login, login


def test_staff_sign_in_opens_the_crm_and_sign_out_closes_it(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    response = crm_login(client, "Admin@Mostik.local ")
    assert response.status_code == 302
    assert client.get("/crm/").status_code == 200
    client.post("/crm/logout", data={"csrf_token": crm_csrf(client, "/crm/")})
    assert client.get("/crm/").status_code == 302


def test_wrong_password_is_refused_in_russian(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    response = crm_login(app.test_client(), "admin@mostik.local", "wrong password!!")
    assert response.status_code == 400
    assert "Неверная почта или пароль" in response.get_data(as_text=True)


def test_a_buyer_account_does_not_open_the_crm(app: Flask, session: Session) -> None:
    create_buyer(session)
    session.commit()
    client = app.test_client()
    assert login(client).status_code == 302
    assert client.get("/crm/").status_code == 302
    # ...and a buyer's password is no staff password.
    assert crm_login(client, "buyer@example.ru", "correct horse battery").status_code == 400


def test_staff_sign_in_does_not_sign_anyone_in_as_a_buyer(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    crm_login(client, "admin@mostik.local")
    assert client.get("/account/").status_code == 302


def test_sign_in_without_csrf_token_is_refused(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    response = client.post("/crm/login", data={"email": "admin@mostik.local", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/crm/").status_code == 302


def test_sign_in_is_throttled_per_account(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    statuses = [crm_login(client, "admin@mostik.local", "wrong password!!").status_code for _ in range(6)]
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
    # Even the right password waits now.
    assert crm_login(client, "admin@mostik.local").status_code == 429


def test_an_idle_session_expires(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    crm_login(client, "admin@mostik.local")
    with client.session_transaction() as cookie:
        cookie[SEEN_KEY] = int(time.time()) - 31 * 60
    assert client.get("/crm/").status_code == 302


def test_a_session_expires_after_the_maximum_lifetime_even_when_active(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    crm_login(client, "admin@mostik.local")
    with client.session_transaction() as cookie:
        cookie[SIGNED_IN_KEY] = int(time.time()) - 13 * 3600
    assert client.get("/crm/").status_code == 302


def test_a_disabled_staff_user_is_signed_out(app: Flask, session: Session) -> None:
    staff = make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    crm_login(client, "admin@mostik.local")
    staff.is_active = False
    session.commit()
    assert client.get("/crm/").status_code == 302


def test_staff_create_takes_the_password_from_the_environment(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(
        args=["staff", "create", "--email", "Olga@Mostik.local", "--role", "account_manager"],
        env={"MOSTIK_STAFF_PASSWORD": "a long enough password"},
    )
    assert result.exit_code == 0, result.output
    staff = session.scalar(select(StaffUser))
    assert (staff.email, staff.role) == ("olga@mostik.local", "account_manager")
    assert staff.password_hash.startswith("$argon2")


def test_staff_create_prompts_for_the_password(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(
        args=["staff", "create", "--email", "a@mostik.local", "--role", "admin"],
        input="a long enough password\na long enough password\n",
        env={"MOSTIK_STAFF_PASSWORD": ""},
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(StaffUser.email)) == "a@mostik.local"


def test_staff_create_refuses_a_short_password_and_a_taken_email(runner: FlaskCliRunner, session: Session) -> None:
    short = runner.invoke(
        args=["staff", "create", "--email", "a@mostik.local", "--role", "admin"], env={"MOSTIK_STAFF_PASSWORD": "short"}
    )
    assert short.exit_code != 0
    assert "слишком короткий" in short.output
    make_staff(session, Role.ADMIN, email="b@mostik.local")
    session.commit()
    taken = runner.invoke(
        args=["staff", "create", "--email", "B@mostik.local", "--role", "admin"],
        env={"MOSTIK_STAFF_PASSWORD": "a long enough password"},
    )
    assert taken.exit_code != 0
    assert "уже есть" in taken.output
    bad_role = runner.invoke(args=["staff", "create", "--email", "c@mostik.local", "--role", "boss"])
    assert bad_role.exit_code != 0
    assert session.scalar(select(StaffUser.email).where(StaffUser.email == "c@mostik.local")) is None


def test_staff_create_if_missing_leaves_an_existing_account_alone(runner: FlaskCliRunner, session: Session) -> None:
    make_staff(session, Role.ADMIN, email="admin@mostik.local")
    session.commit()
    result = runner.invoke(
        args=["staff", "create", "--email", "Admin@mostik.local", "--role", "marketer", "--if-missing"],
        env={"MOSTIK_STAFF_PASSWORD": ""},
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(StaffUser.role)) == "admin"
