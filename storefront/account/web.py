"""The double opt-in e-mail: the signed confirmation link, sent at most ``MARKETING_CONFIRM_MAIL_LIMIT`` times to one
address (the sign-in limits' storage: Redis when ``REDIS_URL`` is set), so the link cannot be used to flood anyone."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from limits import parse

from storefront.account.models import Consent
from storefront.account.opt_in import make_confirm_token
from storefront.emails import queue_templated
from storefront.extensions import db, limiter


def confirm_link(consent: Consent) -> str:
    token = make_confirm_token(consent, current_app.config["SECRET_KEY"])
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("account.confirm_marketing", token=token)


def send_opt_in_mail(consent: Consent) -> bool:
    """E-mail the confirmation link of a pending marketing consent (through the outbox: written and committed
    here, sent at the commit); False when the address has had its share."""
    limit = parse(current_app.config["MARKETING_CONFIRM_MAIL_LIMIT"])
    if not limiter.limiter.hit(limit, "marketing-confirm", consent.email):
        return False
    queue_templated(
        db.session(),
        "marketing_confirm",
        consent.email,
        _("Confirm your subscription to Mostik offers"),
        link=confirm_link(consent),
        hours=current_app.config["MARKETING_CONFIRM_HOURS"],
    )
    db.session.commit()
    return True
