from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import force_locale, ngettext

from storefront.i18n import format_percent, format_rub, format_rub_whole
from storefront.security import safe_next_url
from storefront.slugs import make_slug

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 товар"),
        (2, "2 товара"),
        (5, "5 товаров"),
        (11, "11 товаров"),
        (21, "21 товар"),
        (22, "22 товара"),
        (25, "25 товаров"),
        (111, "111 товаров"),
        (112, "112 товаров"),
        (0, "0 товаров"),
    ],
)
def test_russian_plurals_have_three_forms(app: Flask, count, expected):
    with app.test_request_context(), force_locale("ru"):
        assert ngettext("%(num)d product", "%(num)d products", count) == expected


def test_english_is_the_second_language(app: Flask):
    with app.test_request_context(), force_locale("en"):
        assert ngettext("%(num)d product", "%(num)d products", 1) == "1 product"
        assert ngettext("%(num)d product", "%(num)d products", 5) == "5 products"


def test_templates_follow_the_request_language_and_force_locale(app: Flask):
    """Templates keep one catalogue per request; an e-mail forced into Russian still gets Russian."""
    template = app.jinja_env.from_string(
        "{{ _('in stock') }} / {{ ngettext('%(num)d product', '%(num)d products', 5) }}"
    )
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert template.render() == "in stock / 5 products"
        with force_locale("ru"):
            assert template.render() == "в наличии / 5 товаров"
        assert template.render() == "in stock / 5 products"
    with app.test_request_context():
        assert template.render() == "в наличии / 5 товаров"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1234.56", f"1{NBSP}234,56{NBSP}₽"),
        ("1234567.5", f"1{NBSP}234{NBSP}567,50{NBSP}₽"),
        ("0.125", f"0,13{NBSP}₽"),  # half up, where Babel alone would give 0,12
        ("-1500.5", f"-1{NBSP}500,50{NBSP}₽"),
        ("0", f"0,00{NBSP}₽"),
    ],
)
def test_rouble_prices_are_formatted_by_babel_for_ru(amount, expected):
    assert format_rub(Decimal(amount)) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("1234.49", f"1{NBSP}234{NBSP}₽"), ("1234.50", f"1{NBSP}235{NBSP}₽"), ("999", f"999{NBSP}₽")],
)
def test_whole_rouble_prices_for_listings(amount, expected):
    assert format_rub_whole(Decimal(amount)) == expected


def test_no_price_formats_as_empty():
    assert format_rub(None) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("10.0"), f"10{NBSP}%"),
        (Decimal("12.5"), f"12,5{NBSP}%"),
        (Decimal("7.00"), f"7{NBSP}%"),
        (Decimal("0.25"), f"0,25{NBSP}%"),
        (Decimal("1234.5"), f"1{NBSP}234,5{NBSP}%"),
        (33, f"33{NBSP}%"),
        (12.5, f"12,5{NBSP}%"),
        (None, ""),
    ],
)
def test_percentages_are_written_the_russian_way(value, expected):
    assert format_percent(value) == expected


def test_the_percent_filter_follows_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert app.jinja_env.from_string("{{ 12.5|percent }}").render() == f"12.5{NBSP}%"
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert app.jinja_env.from_string("{{ value|percent }}").render(value=Decimal("10.0")) == f"10{NBSP}%"


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Кроссовки мужские", "krossovki-muzhskie"),
        ("Ёлка и щётка: «съёмный» чехол", "elka-i-shchetka-semnyi-chekhol"),
        ("Чехол для iPhone 15 Pro", "chekhol-dlia-iphone-15-pro"),
        ("!!!", "item"),
    ],
)
def test_slugs_are_transliterated(text, slug):
    assert make_slug(text) == slug


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/catalog/obuv?page=2", "/catalog/obuv?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        (None, "/"),
    ],
)
def test_language_switch_only_returns_to_local_pages(target, safe):
    assert safe_next_url(target) == safe
