"""The account's web helpers.

Signing buyers in and out through Flask-Login with a server-side session row (``storefront.logins``): Flask-Login
keeps ``"<buyer id>.<session token>"`` in the session and in the remember cookie; the user loader accepts it only
while the row exists, so signing out, a password reset or «end the other sessions» stops every copy of either cookie.

The double opt-in e-mail: the signed confirmation link, sent at most ``MARKETING_CONFIRM_MAIL_LIMIT`` times to one
address (the sign-in limits' storage: Redis when ``REDIS_URL`` is set), so the link cannot be used to flood anyone."""

from __future__ import annotations

from flask import current_app, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from limits import parse

from storefront.account.models import Buyer, Consent
from storefront.account.opt_in import make_confirm_token
from storefront.db import utcnow
from storefront.emails import queue_templated
from storefront.extensions import db, limiter
from storefront.logins.models import LoginKind
from storefront.logins.services import end_session, find_session, open_session, touch
from storefront.logins.web import current_client, renew_session, survives_sign_in

#: Flask-Login's keys; a staff sign-in in the same browser keeps them (and the buyer's sign-in keeps the staff's).
survives_sign_in("_user_id", "_fresh", "_id")
USER_ID_KEY = "_user_id"


def sign_in_buyer(buyer: Buyer, remember: bool = False) -> None:
    """A fresh session (new CSRF token), a new session row and Flask-Login's sign-in (which merges the guest
    cart through ``user_logged_in``). Flushes; the caller commits."""
    renew_session()
    # Rows unseen for longer than a remember cookie lives can serve nobody: they go now.
    stale_before = utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"]
    token = open_session(db.session(), LoginKind.BUYER, buyer.id, current_client(), stale_before=stale_before)
    login_user(buyer, remember=remember)
    session[USER_ID_KEY] = f"{buyer.id}.{token}"


def session_token() -> str | None:
    """This browser's session token, when a buyer is signed in."""
    _, _, token = str(session.get(USER_ID_KEY) or "").partition(".")
    return token or None


def sign_out_buyer() -> None:
    """End this session's row (a copied cookie stops working) and Flask-Login's sign-in (the remember cookie is
    cleared). Commits."""
    token = session_token()
    if token:
        end_session(db.session(), token)
        db.session.commit()
    logout_user()


def load_buyer(session_id: str) -> Buyer | None:
    """Flask-Login's user loader: the buyer while their session row lives (one primary-key lookup per request;
    Flask-Login keeps the answer for the request)."""
    buyer_id, _, token = session_id.partition(".")
    if not buyer_id.isdigit() or not token:
        return None
    row = find_session(db.session(), LoginKind.BUYER, int(buyer_id), token)
    if row is None:
        return None
    buyer = db.session.get(Buyer, int(buyer_id))
    if buyer is None or not buyer.is_active:
        return None
    if touch(db.session(), row):
        db.session.commit()
    return buyer


def load_current_buyer() -> None:
    """Before every request: resolve ``current_user`` first, while the request has nothing else pending."""
    current_user._get_current_object()


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
