"""The staff's TOTP second factor: enrolment, the code after the password (each used once, ±1 step), recovery
codes (single use), the roles that must have it, an admin's reset, the audit trail and the rate limit."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.models import AuditEntry
from crm.security.views import ENROL_SECRET_KEY
from crm.staff.models import RecoveryCode, Role, StaffUser
from crm.staff.totp import accept_code, matching_step
from storefront.extensions import db
from tests.support.factories import make_staff
from tests.support.web import CSRF_RE, crm_csrf, crm_login

RECOVERY_RE = re.compile(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>")


def _in_crm(client: FlaskClient) -> bool:
    return client.get("/crm/").status_code == 200


def _enrol(app: Flask, client: FlaskClient) -> tuple[str, list[str]]:
    """Open the enrolment page, read the secret it chose, confirm with the current code; the secret and codes."""
    page = client.get("/crm/me/totp")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html
    with client.session_transaction() as cookie:
        secret = cookie[ENROL_SECRET_KEY]
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html  # typed by hand
    data = {"csrf_token": CSRF_RE.search(html).group(1), "code": pyotp.TOTP(secret).now()}
    answer = client.post("/crm/me/totp", data=data)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    codes = RECOVERY_RE.findall(answer.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _code_at(secret: str, steps_ahead: int) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps_ahead))


def _second_step(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = crm_login(client, email)
    assert response.status_code == 302 and response.location.startswith("/crm/login/code")
    assert not _in_crm(client)
    return client


def _send_code(client: FlaskClient, code: str):
    return client.post("/crm/login/code", data={"csrf_token": crm_csrf(client, "/crm/login/code"), "code": code})


def _actions(session: Session) -> list[str]:
    session.expire_all()
    return [entry.action for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def marketer_with_totp(app: Flask, session: Session) -> tuple[StaffUser, str, list[str]]:
    staff = make_staff(session, Role.MARKETER)
    session.commit()
    client = app.test_client()
    crm_login(client, "marketer@mostik.local")
    secret, codes = _enrol(app, client)
    return staff, secret, codes


def test_enrolment_refuses_a_wrong_code_then_switches_on_with_the_right_one(app: Flask, session: Session) -> None:
    staff = make_staff(session, Role.MARKETER)
    session.commit()
    client = app.test_client()
    crm_login(client, "marketer@mostik.local")
    client.get("/crm/me/totp")
    with client.session_transaction() as cookie:
        secret = cookie[ENROL_SECRET_KEY]
    wrong = str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)
    refused = client.post("/crm/me/totp", data={"csrf_token": crm_csrf(client, "/crm/me"), "code": wrong})
    assert refused.status_code == 400 and "Код не подходит" in refused.get_data(as_text=True)
    session.refresh(staff)
    assert staff.totp_secret is None
    _enrol(app, client)
    session.refresh(staff)
    assert staff.totp_secret is not None and staff.totp_enrolled_at is not None
    hashes = session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.staff_id == staff.id)).all()
    assert len(hashes) == 10 and all(len(h) == 64 for h in hashes)  # only hashes are kept
    assert AuditAction.TOTP_ENROL.value in _actions(session)


def test_sign_in_asks_for_the_code_and_takes_each_code_once(app: Flask, session: Session, marketer_with_totp) -> None:
    staff, secret, _codes = marketer_with_totp
    client = _second_step(app, "marketer@mostik.local")
    wrong = _send_code(client, "000000" if _code_at(secret, 1) != "000000" else "111111")
    assert wrong.status_code == 400 and "Код неверный или уже использован" in wrong.get_data(as_text=True)
    assert not _in_crm(client)
    # The enrolment used this step's code; the next step's is within the ±1 window.
    code = _code_at(secret, 1)
    assert _send_code(client, code).status_code == 302
    assert _in_crm(client)
    replay = _second_step(app, "marketer@mostik.local")
    assert _send_code(replay, code).status_code == 400
    assert _send_code(replay, _code_at(secret, 0)).status_code == 400  # an earlier step is spent too
    assert not _in_crm(replay)
    assert _actions(session).count(AuditAction.TOTP_REFUSED.value) == 3


def test_the_code_step_needs_the_password_first(app: Flask, session: Session, marketer_with_totp) -> None:
    _staff, secret, _codes = marketer_with_totp
    client = app.test_client()
    response = client.get("/crm/login/code")
    assert response.status_code == 302 and response.location.startswith("/crm/login")
    assert client.post("/crm/login/code", data={"code": _code_at(secret, 1)}).status_code in (302, 400)
    assert not _in_crm(client)


def test_a_recovery_code_signs_in_once(app: Flask, session: Session, marketer_with_totp) -> None:
    _staff, _secret, codes = marketer_with_totp
    client = _second_step(app, "marketer@mostik.local")
    assert _send_code(client, codes[0].lower()).status_code == 302
    assert _in_crm(client)
    again = _second_step(app, "marketer@mostik.local")
    assert _send_code(again, codes[0]).status_code == 400
    assert _send_code(again, codes[1]).status_code == 302
    actions = _actions(session)
    assert actions.count(AuditAction.TOTP_RECOVERY_USED.value) == 2
    assert "Осталось 8 резервных кодов" in again.get("/crm/me").get_data(as_text=True)


def test_a_required_role_without_totp_may_only_enrol(app: Flask, session: Session, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "CRM_TOTP_REQUIRED_ROLES", frozenset({"admin", "finance"}))
    make_staff(session, Role.ADMIN)
    make_staff(session, Role.MARKETER)
    session.commit()
    admin = app.test_client()
    assert crm_login(admin, "admin@mostik.local").status_code == 302
    for path in ("/crm/", "/crm/orders/", "/crm/staff", "/crm/me"):
        response = admin.get(path)
        assert response.status_code == 302 and response.location == "/crm/me/totp", path
    _enrol(app, admin)
    assert _in_crm(admin) and admin.get("/crm/staff").status_code == 200
    marketer = app.test_client()
    crm_login(marketer, "marketer@mostik.local")
    assert _in_crm(marketer)  # not a required role


def test_an_admin_resets_a_members_totp(app: Flask, session: Session, marketer_with_totp) -> None:
    member, _secret, codes = marketer_with_totp
    make_staff(session, Role.ADMIN)
    session.commit()
    admin = app.test_client()
    crm_login(admin, "admin@mostik.local")
    url = f"/crm/staff/{member.id}/totp/reset"
    response = admin.post(url, data={"csrf_token": crm_csrf(admin, "/crm/staff"), "confirm": "1"})
    assert response.status_code == 302
    session.refresh(member)
    assert member.totp_secret is None and member.totp_last_counter is None
    assert session.scalars(select(RecoveryCode).where(RecoveryCode.staff_id == member.id)).all() == []
    assert AuditAction.TOTP_RESET.value in _actions(session)
    client = app.test_client()
    assert crm_login(client, "marketer@mostik.local").location == "/crm/"  # the password alone again


def test_codes_are_rate_limited_like_the_password(app: Flask, session: Session, marketer_with_totp) -> None:
    _staff, secret, _codes = marketer_with_totp
    client = _second_step(app, "marketer@mostik.local")
    statuses = [_send_code(client, "000000").status_code for _ in range(6)]
    assert statuses[:5] == [400] * 5 and statuses[5] == 429
    assert _send_code(client, _code_at(secret, 1)).status_code == 429


def test_the_window_is_one_step_either_side() -> None:
    secret = pyotp.random_base32()
    now = datetime(2026, 12, 6, 10, 0, 15, tzinfo=UTC)
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for offset in (-1, 0, 1):
        assert matching_step(secret, totp.generate_otp(step + offset), now) == step + offset
    for offset in (-2, 2):
        assert matching_step(secret, totp.generate_otp(step + offset), now) is None
    assert matching_step(secret, "12 34", now) is None


@pytest.mark.postgres_only
def test_one_code_sent_twice_at_once_signs_in_once(app: Flask, session: Session, marketer_with_totp) -> None:
    """Two sign-ins racing with one code: the conditional UPDATE lets exactly one through."""
    staff, secret, _codes = marketer_with_totp
    code = _code_at(secret, 1)
    # Read here: touching the fixture's (expired) object in a thread would use the test's session from two
    # threads at once, and one racer would wait on its connection forever.
    staff_id = staff.id
    with app.app_context():
        engine = db.engine
    barrier = threading.Barrier(2, timeout=20)
    results: list[bool] = []

    def attempt() -> None:
        with Session(engine) as own:
            member = own.get(StaffUser, staff_id)
            barrier.wait()
            results.append(accept_code(own, member, code))
            own.commit()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
