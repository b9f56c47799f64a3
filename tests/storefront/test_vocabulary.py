"""Our own Russian names (seeded tiers, carriers, common attributes) read English on English pages and unchanged on
Russian ones; text outside the vocabulary is shown as written. Both engines: the category page's facets and chips and
the product page render the names from stored rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from crm.tiers.services import DEFAULT_TIERS
from storefront.fulfilment.models import DEFAULT_CARRIERS
from storefront.shipping.services import SEED_METHODS
from storefront.vocabulary import (
    ATTRIBUTE,
    SHIPPING,
    TIER,
    VALUE,
    attribute_name,
    attribute_value,
    shipping_text,
    tier_text,
    vocabulary,
)
from tests.support.factories import create_category, create_product, create_supplier, load_rates

CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")
DEMO = json.loads((Path(__file__).parents[2] / "demo" / "data" / "catalogue.json").read_text("utf-8"))


@pytest.mark.parametrize("kind", [TIER, SHIPPING, ATTRIBUTE, VALUE])
def test_the_russian_catalogue_gives_back_the_stored_text_and_english_has_no_cyrillic(app: Flask, kind):
    for russian in vocabulary(kind):
        with app.test_request_context(), force_locale("ru"):
            shown_ru = {TIER: tier_text, SHIPPING: shipping_text, ATTRIBUTE: attribute_name, VALUE: attribute_value}[
                kind
            ](russian)
        with app.test_request_context(), force_locale("en"):
            shown_en = {TIER: tier_text, SHIPPING: shipping_text, ATTRIBUTE: attribute_name, VALUE: attribute_value}[
                kind
            ](russian)
        assert shown_ru == russian
        assert shown_en and not CYRILLIC & set(shown_en), (russian, shown_en)


def test_every_seeded_tier_carrier_and_method_is_in_the_vocabulary():
    tiers = {str(fields["name"]) for fields in DEFAULT_TIERS} | {str(f["perks"]) for f in DEFAULT_TIERS if f["perks"]}
    assert tiers <= set(vocabulary(TIER))
    shipping = {str(carrier["name"]) for carrier in DEFAULT_CARRIERS}
    for _code, name, carrier, description, _free, _rates in SEED_METHODS:
        shipping |= {name, carrier, description}
    assert shipping <= set(vocabulary(SHIPPING))


def test_every_demo_attribute_name_and_colour_is_in_the_vocabulary():
    names = {name for root in DEMO["roots"] for leaf in root["leaves"] for name, _values in leaf["attrs"]}
    assert names <= set(vocabulary(ATTRIBUTE)), names - set(vocabulary(ATTRIBUTE))
    colours = set(DEMO["colors"]) | set(DEMO["extra_color_names_en"])
    assert colours <= set(vocabulary(VALUE))


def test_text_outside_the_vocabulary_is_shown_as_written(app: Flask):
    with app.test_request_context(), force_locale("en"):
        assert tier_text("Золото Плюс") == "Золото Плюс"  # a tier staff renamed keeps its name
        assert tier_text("Золото") == "Gold"
        assert shipping_text("Деловые линии") == "Деловые линии"
        assert attribute_name("Длина рукава") == "Длина рукава"
        assert attribute_value("полиэстер 600D") == "полиэстер 600D"
        assert attribute_value("золотой") == "gold"


@pytest.fixture
def backpacks(session):
    load_rates(session)
    category = create_category(session, "Рюкзаки", slug="backpacks")
    supplier = create_supplier(session)
    products = [
        create_product(
            session,
            category,
            supplier,
            title=f"Рюкзак городской {index}",
            attributes={"Цвет": ("чёрный", "белый")[index % 2], "Материал": "нейлон"},
        )
        for index in range(4)
    ]
    session.commit()
    return products


def test_category_facets_chips_and_product_specifications_follow_the_language(client, backpacks):
    client.set_cookie("lang", "en")
    page = client.get("/catalog/backpacks?attr=Цвет:чёрный").get_data(as_text=True)
    assert "<legend>Colour</legend>" in page
    assert "> black <" in page and "> white <" in page
    assert "Colour: black" in page  # the chip
    assert 'value="Цвет:чёрный"' in page  # the filter's value stays the stored one
    product = backpacks[0]
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    assert "<dt>Colour</dt><dd>black</dd>" in page and "<dt>Material</dt><dd>нейлон</dd>" in page

    client.set_cookie("lang", "ru")
    page = client.get("/catalog/backpacks?attr=Цвет:чёрный").get_data(as_text=True)
    assert "<legend>Цвет</legend>" in page and "Цвет: чёрный" in page
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    assert "<dt>Цвет</dt><dd>чёрный</dd>" in page
