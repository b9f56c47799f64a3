"""Render a Russian email (text + HTML templates under ``templates/emails/``) and send it over SMTP."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from storefront.mail import MailSettings, send_mail


def send_templated(template: str, to: str, subject: str, **context: Any) -> bool:
    """``template`` names ``emails/<template>.txt`` and ``.html``; always rendered in Russian."""
    with force_locale("ru"):
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
    return send_mail(MailSettings.from_config(current_app.config), to, str(subject), text, html)
