"""Render a Russian email (text + HTML templates under ``templates/emails/``) and send it over SMTP."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from storefront.extensions import db
from storefront.mail import MailSettings, send_mail
from storefront.maillog import log_sent

logger = logging.getLogger(__name__)


def send_templated(template: str, to: str, subject: str, **context: Any) -> bool:
    """``template`` names ``emails/<template>.txt`` and ``.html``; always rendered in Russian.

    A message the server accepted is logged in ``sent_emails`` (the CRM timeline shows it); a failure to log is
    itself only logged, since the mail has gone.
    """
    with force_locale("ru"):
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
    sent = send_mail(MailSettings.from_config(current_app.config), to, str(subject), text, html)
    if sent:
        try:
            log_sent(db.engine, to, template, str(subject))
        except Exception:
            logger.exception("sent mail %r not logged", template)
    return sent
