"""The sandboxed campaign templates, UTM and link rewriting, signed tokens (no database)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask_babel import force_locale

from crm.campaigns.links import add_utm, rewrite_html, rewrite_text
from crm.campaigns.rendering import SAMPLE_CONTEXT, TemplateRefused, render, validate_templates
from crm.campaigns.tokens import BadToken, make_click_token, make_open_token, read_click, read_recipient

CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")


@pytest.mark.parametrize(
    "source",
    [
        "{{ buyer.__class__ }}",
        "{{ buyer.__class__.__mro__[1].__subclasses__() }}",
        "{{ buyer.name.__class__ }}",
        "{{ config }}",
        "{{ self }}",
        "{{ self.__init__.__globals__ }}",
        "{{ request }}",
        "{{ range(10) }}",
        "{{ lipsum() }}",
        "{{ 'a' * 100000000 }}",
        "{{ 2 ** 100000 }}",
        "{{ buyer.update({'name': 'x'}) }}",
        "{{ buyer.nickname }}",
        "{{ promo_code.format.__globals__ }}",
        "{% if %}",
        # Work and size: each of these rendered megabytes or ran for minutes before the limits.
        "{{ 'x'|center(100000000) }}",
        "{{ 'x'|indent(100000000) }}",
        "{{ '%100000000s'|format('x') }}",
        "{{ '%100000000s' % 'x' }}",
        "{{ '{:>100000000}'.format('x') }}",
        "{{ buyer.name.rjust(100000000) }}",
        "{{ 'x' * 1000 * 1000 * 1000 }}",
        "{% for a in buyer.name %}{% for b in buyer.name %}{% for c in buyer.name %}.{% endfor %}{% endfor %}"
        "{% endfor %}",
        "{% if 1 %}" * 3000 + "x" + "{% endif %}" * 3000,
        "x" * 100_001,
    ],
)
def test_a_template_reaching_outside_its_fields_is_refused_in_russian(app: Flask, source: str) -> None:
    with app.app_context(), force_locale("ru"):
        errors = validate_templates("Тема", source, "Текст")
    assert set(errors) == {"body_html"}
    assert CYRILLIC.search(errors["body_html"]), errors


@pytest.mark.parametrize("depth", [100, 300, 500, 2000])
@pytest.mark.parametrize(
    "make",
    [
        lambda n: "{% if 1 %}" * n + "x" + "{% endif %}" * n,  # 100+ was an IndentationError from Python's compiler
        lambda n: "{{ " + "(" * n + "1" + ")" * n + " }}",
        lambda n: "{{ " + "[" * n + "]" * n + " }}",
        lambda n: "{{ " + "-" * n + "1 }}",
        lambda n: "{{ 1" + " + 1" * n + " }}",  # 2000 was a RecursionError
        lambda n: "{{ buyer" + ".name" * n + " }}",  # 200+ was «too many nested parentheses» (SyntaxError)
        lambda n: "{{ buyer.name" + "|upper" * n + " }}",
        lambda n: "{% for a in buyer.name %}" + "{% if a %}" * n + "." + "{% endif %}" * n + "{% endfor %}",
    ],
    ids=["if", "parens", "lists", "unary", "plus", "attributes", "filters", "for-if"],
)
def test_a_deeply_nested_template_is_refused_in_russian(app: Flask, make, depth: int) -> None:
    with app.app_context(), force_locale("ru"):
        errors = validate_templates(make(depth), make(depth), "Текст")
    assert set(errors) == {"subject", "body_html"}
    assert all(message.endswith("в шаблоне слишком глубокая вложенность.") for message in errors.values()), errors


def test_a_moderately_nested_template_still_renders(app: Flask) -> None:
    source = "{% if buyer.name %}" * 10 + "{{ ((buyer.first_name|upper)) }}" + "{% endif %}" * 10
    with app.app_context(), force_locale("ru"):
        assert validate_templates("Тема", source, "Текст") == {}
        assert render(source, SAMPLE_CONTEXT, html=True) == "ИВАН"


def test_buyer_fields_tier_and_promo_render_and_html_is_escaped(app: Flask) -> None:
    with app.app_context(), force_locale("ru"):
        html = render(
            "<p>{{ buyer.first_name }} / {{ buyer.company }} / {{ tier.name }} / {{ promo_code }}</p>"
            "{% for part in buyer.name.split() %}[{{ part }}]{% endfor %}",
            SAMPLE_CONTEXT,
            html=True,
        )
        text = render("{{ buyer.company }}", SAMPLE_CONTEXT, html=False)
    assert html == "<p>Иван / ООО «Ромашка» / Золото / SAMPLE10</p>[Иван][Петров]"
    assert text == "ООО «Ромашка»"
    with app.app_context(), force_locale("ru"):
        escaped = render(
            "{{ buyer.name }}", SAMPLE_CONTEXT.__class__(**{**SAMPLE_CONTEXT.__dict__, "name": "<b>x</b>"}), html=True
        )
    assert escaped == "&lt;b&gt;x&lt;/b&gt;"


def test_utm_tags_are_added_and_existing_ones_kept() -> None:
    assert add_utm("https://shop.example.ru/a?x=1#top", "osen") == (
        "https://shop.example.ru/a?x=1&utm_source=mostik&utm_medium=email&utm_campaign=osen#top"
    )
    assert "utm_source=partner" in add_utm("https://e.ru/?utm_source=partner", "osen")


def test_every_http_link_is_rewritten_in_html_and_text() -> None:
    body = '<a href="https://a.ru/x?y=1&amp;z=2">a</a> <a href="mailto:x@y.ru">m</a> <a href=\'http://b.ru\'>b</a>'
    seen: list[str] = []

    def rewrite(url: str) -> str:
        seen.append(url)
        return f"https://t.ru/?u={len(seen)}&v=1"

    out = rewrite_html(body, rewrite)
    assert seen == ["https://a.ru/x?y=1&z=2", "http://b.ru"]
    assert 'href="https://t.ru/?u=1&amp;v=1"' in out and "mailto:x@y.ru" in out
    text = rewrite_text("Смотрите https://a.ru/x?y=1. И ещё (http://b.ru)", lambda url: f"<{url}>")
    assert text == "Смотрите <https://a.ru/x?y=1>. И ещё (<http://b.ru>)"


def test_tokens_cannot_be_forged_or_reused_for_another_purpose() -> None:
    token = make_click_token("k", 5, "https://shop.example.ru/")
    assert read_click("k", token) == (5, "https://shop.example.ru/")
    with pytest.raises(BadToken):
        read_click("other-key", token)
    with pytest.raises(BadToken):
        read_click("k", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(BadToken):
        read_recipient("k", "unsubscribe", make_open_token("k", 5))
    with pytest.raises(BadToken):
        read_click("k", make_click_token("k", 5, "javascript:alert(1)"))
    with pytest.raises(TemplateRefused):
        render("{{ nope }}", SAMPLE_CONTEXT, html=False)
