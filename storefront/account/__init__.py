"""Buyer accounts: registration, sign-in (Flask-Login), consents, addresses, password reset."""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from storefront.extensions import db, limiter, login_manager

bp = Blueprint("account", __name__, url_prefix="/account")


def init_app(app: Flask) -> None:
    from storefront.account import views  # noqa: F401  (registers the routes on bp)
    from storefront.account.models import Buyer

    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_buyer(session_id: str) -> Buyer | None:
        buyer_id, _, digest = session_id.partition(".")
        if not buyer_id.isdigit():
            return None
        buyer = db.session.get(Buyer, int(buyer_id))
        if buyer is None or not buyer.is_active or not hmac.compare_digest(digest, buyer.session_digest):
            return None  # a session from before the password changed
        return buyer

    from storefront.account import utm

    utm.init_app(app)
    limiter.init_app(app)
    app.register_blueprint(bp)
