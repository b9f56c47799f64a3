"""Synonyms kept in the CRM: listed over the built-in list, validated in Russian, audited, and used by search."""

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from storefront.search.models import SearchSynonym
from tests.support.factories import create_category, create_product, create_supplier, load_rates, make_staff
from tests.support.web import crm_csrf, crm_login


@pytest.fixture
def shop(session: Session) -> None:
    load_rates(session)
    clothes = create_category(session, "Одежда", slug="odezhda")
    supplier = create_supplier(session)
    create_product(session, clothes, supplier, title="Толстовка с капюшоном оверсайз")
    create_product(session, clothes, supplier, title="Кроссовки беговые сетка")
    session.commit()


def _marketer(client: FlaskClient, session: Session) -> str:
    make_staff(session, "marketer")
    session.commit()
    assert crm_login(client, "marketer@mostik.local").status_code == 302
    return crm_csrf(client, "/crm/search/synonyms/new")


def _titles(app: Flask, query: str) -> list[str]:
    page = app.test_client().get("/search", query_string={"q": query}).get_data(as_text=True)
    page = page.split("Покупатели часто берут")[0]  # the zero-result page's best sellers are not results
    return [title for title in ("Толстовка", "Кроссовки") if f"<mark>{title}</mark>" in page or f">{title} " in page]


def _actions(session: Session) -> list[str]:
    session.expire_all()
    return [entry.action for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_synonym_edited_in_the_crm_changes_search_results(app, client, session, shop):
    token = _marketer(client, session)
    assert _titles(app, "шмотка") == []

    response = client.post(
        "/crm/search/synonyms/new", data={"csrf_token": token, "word": "Шмотка", "alternatives": "толстовка"}
    )
    assert response.status_code == 302
    assert _titles(app, "шмотки") == ["Толстовка"]  # found in any inflection, at once in this process

    synonym = session.scalars(select(SearchSynonym)).one()
    assert (synonym.word, synonym.alternatives) == ("шмотка", ["толстовка"])
    response = client.post(
        f"/crm/search/synonyms/{synonym.id}/edit",
        data={"csrf_token": token, "word": "шмотка", "alternatives": "кроссовки, беговые кроссовки"},
    )
    assert response.status_code == 302
    assert _titles(app, "шмотка") == ["Кроссовки"]

    response = client.post(f"/crm/search/synonyms/{synonym.id}/delete", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 302
    assert _titles(app, "шмотка") == []
    assert _actions(session) == ["synonym.create", "synonym.update", "synonym.delete"]
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert entries[1].detail == "шмотка → толстовка ⇒ шмотка → кроссовки, беговые кроссовки"
    assert entries[0].staff_email == "marketer@mostik.local"


def test_a_built_in_entry_is_replaced_or_switched_off_and_comes_back_when_the_row_goes(app, client, session, shop):
    token = _marketer(client, session)
    assert _titles(app, "худи") == ["Толстовка"]  # built-in: худи → толстовка
    page = client.get("/crm/search/synonyms").get_data(as_text=True)
    assert "<code>худи</code>" in page and "встроенное" in page
    assert 'href="/crm/search/synonyms/new?word=%D1%85%D1%83%D0%B4%D0%B8"' in page

    form = client.get("/crm/search/synonyms/new?word=худи").get_data(as_text=True)
    assert "толстовка" in form  # starts from the built-in alternatives
    response = client.post(
        "/crm/search/synonyms/new", data={"csrf_token": token, "word": "худи", "alternatives": "", "is_disabled": "y"}
    )
    assert response.status_code == 302
    assert _titles(app, "худи") == []
    assert "отключено в CRM" in client.get("/crm/search/synonyms").get_data(as_text=True)

    synonym = session.scalars(select(SearchSynonym)).one()
    client.post(f"/crm/search/synonyms/{synonym.id}/delete", data={"csrf_token": token, "confirm": "y"})
    assert _titles(app, "худи") == ["Толстовка"]


@pytest.mark.parametrize(
    ("word", "alternatives", "message"),
    [
        ("", "толстовка", "Обязательное поле."),
        ("худи толстовки", "толстовка", "Нужно одно слово из букв и цифр"),
        ("!!!", "толстовка", "Введите слово, которое пишут покупатели"),
        ("шмотка", "", "Укажите хотя бы одну замену или отключите встроенную группу."),
        ("шмотка", "шмотка", "Укажите хотя бы одну замену"),
        ("шмотка", "—", "нет ни букв, ни цифр"),
        ("шмотка", "раз два три четыре пять шесть", "слишком много слов"),
        ("шмотка", ",".join(f"слово{n}" for n in range(21)), "не больше 20 замен"),
    ],
)
def test_bad_input_is_a_russian_message_and_saves_nothing(client, session, shop, word, alternatives, message):
    token = _marketer(client, session)
    response = client.post(
        "/crm/search/synonyms/new", data={"csrf_token": token, "word": word, "alternatives": alternatives}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(SearchSynonym)).all() == []
    assert _actions(session) == []


def test_a_word_has_one_group(client, session, shop):
    token = _marketer(client, session)
    data = {"csrf_token": token, "word": "шмотка", "alternatives": "толстовка"}
    assert client.post("/crm/search/synonyms/new", data=data).status_code == 302
    response = client.post("/crm/search/synonyms/new", data={**data, "word": "ШМОТКА"})
    assert response.status_code == 400
    assert "У слова «шмотка» уже есть группа: измените её." in response.get_data(as_text=True)


def test_an_unknown_group_is_a_404(client, session, shop):
    token = _marketer(client, session)
    assert client.get("/crm/search/synonyms/999/edit").status_code == 404
    response = client.post("/crm/search/synonyms/999/delete", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 404
