"""``next=`` after signing in (buyers and staff), switching the language or changing the cart leads only to a path
on this site (``storefront.security.safe_next_url``): no other host, however it is disguised, and no control
character (a CR or LF would have ended the ``Location`` header: a 500)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from crm.staff.models import Role
from storefront.security import safe_next_url
from tests.support.factories import PASSWORD, create_buyer, make_staff
from tests.support.web import crm_csrf, csrf_token

HOSTILE = [
    "/\r\nSet-Cookie: x=1",
    "/\r\n\r\n<script>alert(1)</script>",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\x0b/evil.example",
    "/\x7f/evil.example",
    "/\u2028evil",
    "//evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "https:evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " //evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_only_same_site_paths_are_followed(target: str) -> None:
    assert safe_next_url(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/catalog/obuv?page=2", "/crm/buyers/?q=Иван Петров", "/account/orders#last"])
def test_a_local_path_is_followed(target: str) -> None:
    assert safe_next_url(target) == target


@pytest.mark.parametrize("target", HOSTILE[:7])
def test_buyer_sign_in_with_a_control_character_in_next_goes_to_the_profile(
    client: FlaskClient, session: Session, target: str
) -> None:
    create_buyer(session)
    session.commit()
    data = {"csrf_token": csrf_token(client), "email": "buyer@example.ru", "password": "correct horse battery"}
    response = client.post(f"/account/login?next={quote(target, safe='')}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"


@pytest.mark.parametrize("target", HOSTILE[:7] + ["https:evil.example", "/\\evil.example"])
def test_staff_sign_in_with_a_hostile_next_goes_to_the_dashboard(
    client: FlaskClient, session: Session, target: str
) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    data = {"csrf_token": crm_csrf(client), "email": "admin@mostik.local", "password": PASSWORD}
    response = client.post(f"/crm/login?next={quote(target, safe='')}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/crm/"


def test_the_language_switch_refuses_a_line_break(client: FlaskClient) -> None:
    response = client.get("/language/en?next=" + quote("/\r\nLocation: https://evil.example", safe=""))
    assert response.status_code == 302 and response.headers["Location"] == "/"
