"""``python -m devtools.fuzz.templates``: the campaign template checker and renderer (inside a bare Flask app,
for the translated messages)."""

from __future__ import annotations

import atheris
from flask import Flask
from flask_babel import Babel

from devtools.fuzz._run import OURS, run

with atheris.instrument_imports(include=OURS):
    from crm.campaigns.rendering import SAMPLE_CONTEXT, TemplateRefused, render, validate_templates

APP = Flask(__name__)
Babel(APP)


def test_one_input(data: bytes) -> None:
    source = data.decode("utf-8", "replace")
    with APP.app_context():
        validate_templates(source, source, source)
        try:
            render(source, SAMPLE_CONTEXT, html=True)
        except TemplateRefused:
            pass


if __name__ == "__main__":
    run(test_one_input)
