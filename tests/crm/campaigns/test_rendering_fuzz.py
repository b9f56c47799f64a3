"""Property test: a marketer's template, whatever its text, is either accepted or refused with a Russian message
(``TemplateRefused``); checking and rendering it never raise anything else."""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.campaigns.rendering import SAMPLE_CONTEXT, TemplateRefused, render, validate_templates

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)

FRAGMENTS = [
    "{{ ",
    " }}",
    "{% if ",
    "{% endif %}",
    "{% for x in ",
    "{% endfor %}",
    "{% else %}",
    " %}",
    "{# ",
    " #}",
    "buyer",
    ".first_name",
    ".name",
    ".company",
    "tier.name",
    "promo_code",
    "unsubscribe_url",
    "x",
    "loop.index",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "'a'",
    '"б"',
    "1",
    "1000",
    "1001",
    "-",
    "+",
    "*",
    "**",
    "%",
    "~",
    "|upper",
    "|length",
    "|join(',')",
    "|default('')",
    "|center(99)",
    "|safe",
    "|e",
    ".__class__",
    ".format",
    "range",
    " and ",
    " or ",
    " not ",
    " is defined",
    " in ",
    ",",
    ":",
    "{% set y = ",
    "{% raw %}",
    "{% endraw %}",
    "{% macro m() %}",
    "{% endmacro %}",
    "{% call m() %}",
    "{% endcall %}",
    "{% filter upper %}",
    "{% endfilter %}",
    '<a href="https://shop.example.ru/">',
    "</a>",
    "Здравствуйте",
    "\n",
    "\x00",
    "\\",
]
templates = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=40).map("".join)


@FUZZ
@given(templates)
def test_a_template_is_accepted_or_refused_in_russian(app: Flask, source: str) -> None:
    with app.app_context(), force_locale("ru"):
        errors = validate_templates(source, source, source)
        for message in errors.values():
            assert CYRILLIC.search(message), message
        for html in (True, False):
            try:
                render(source, SAMPLE_CONTEXT, html)
            except TemplateRefused as refused:
                assert CYRILLIC.search(str(refused))


NESTING = {
    "{% if 1 %}": ("{% if 1 %}", "x", "{% endif %}"),
    "{% for %}": ("{% for a in 'ab' %}", "x", "{% endfor %}"),
    "(": ("{{ (", "1", ") }}"),
    "[": ("{{ [", "1", "] }}"),
    "-": ("{{ -", "1", " }}"),
    "not": ("{{ not ", "1", " }}"),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=1, max_value=400), st.sampled_from(sorted(NESTING)))
def test_deep_nesting_of_any_kind_is_refused_not_crashed(app: Flask, depth: int, kind: str) -> None:
    opener, inner, closer = NESTING[kind]
    head, tail = ("{{ ", " }}") if opener.startswith("{{") else ("", "")
    opener, closer = opener.removeprefix("{{ "), closer.removesuffix(" }}")
    source = head + opener * depth + inner + closer * depth + tail
    with app.app_context(), force_locale("ru"):
        errors = validate_templates(source, source, source)  # a refusal is a message, never an exception
    assert all(CYRILLIC.search(message) for message in errors.values())
