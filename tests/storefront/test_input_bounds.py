"""Input bounded where it enters: huge ids do not match a route, NUL characters are refused before any view."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.staff.models import Role
from storefront.input_bounds import MAX_ID, JSONRefused, load_json
from tests.support.factories import create_buyer, make_staff
from tests.support.web import crm_login, csrf_token


@pytest.mark.parametrize("number", [str(MAX_ID + 1), str(2**63), "9" * 40])
def test_an_id_beyond_the_database_integer_is_not_found_not_a_crash(
    app: Flask, session, client: FlaskClient, number: str
) -> None:
    staff = make_staff(session, Role.ADMIN)
    session.commit()
    assert crm_login(client, staff.email).status_code == 302
    for path in (f"/crm/buyers/{number}", f"/crm/campaigns/{number}/preview", f"/crm/tiers/{number}/edit"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Страница не найдена" in answer.get_data(as_text=True)


def test_the_largest_id_still_reaches_the_view(app: Flask, session, client: FlaskClient) -> None:
    staff = make_staff(session, Role.ADMIN)
    session.commit()
    crm_login(client, staff.email)
    assert client.get(f"/crm/buyers/{MAX_ID}").status_code == 404  # the view's own «no such buyer»


@pytest.mark.parametrize("path", ["/orders/MK-2026%00-1", "/search?q=%D1%81%00", "/catalog/x?city=%00"])
def test_a_nul_in_the_address_is_a_bad_request(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 400
    assert "Запрос не удалось разобрать" in answer.get_data(as_text=True)


def test_a_nul_in_a_form_is_a_bad_request_and_changes_nothing(app: Flask, session, client: FlaskClient) -> None:
    create_buyer(session, email="anna@example.ru")
    session.commit()
    token = csrf_token(client, "/account/login")
    answer = client.post(
        "/account/login", data={"csrf_token": token, "email": "anna\x00@example.ru", "password": "x\x00"}
    )
    assert answer.status_code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(json_values, st.integers(min_value=1, max_value=6))
def test_load_json_reads_what_fits_and_refuses_what_nests_deeper(value: object, limit: int) -> None:
    text = json.dumps(value, ensure_ascii=False)
    try:
        assert load_json(text, 10_000, limit) == value and _depth(value) <= limit
    except JSONRefused as refused:
        assert refused.reason == "depth" and _depth(value) > limit


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='[]{}"\\,:1a ', max_size=300) | st.binary(max_size=100))
def test_load_json_never_raises_anything_but_its_refusal(data: str | bytes) -> None:
    try:
        load_json(data, 200, 8)
    except JSONRefused as refused:
        assert refused.reason in ("size", "depth", "syntax")


@pytest.mark.parametrize("body", ["[" * 100_000, '"' + "\\" * 50_000 + '"' + "[" * 50_000, "{" * 3000 + "}" * 3000])
def test_load_json_refuses_deep_bodies_before_parsing(body: str) -> None:
    with pytest.raises(JSONRefused):
        load_json(body, 1_000_000, 64)
