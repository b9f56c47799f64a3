"""Buyer accounts: registration, sign-in (Flask-Login), consents, addresses, password reset."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from storefront.extensions import limiter, login_manager

bp = Blueprint("account", __name__, url_prefix="/account")


def init_app(app: Flask) -> None:
    from storefront.account import views  # noqa: F401  (registers the routes on bp)
    from storefront.account.web import load_buyer, load_current_buyer

    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    login_manager.user_loader(load_buyer)
    # The loader may commit (the session row's last visit): load the buyer before any view has changes pending.
    app.before_request(load_current_buyer)

    from storefront.account import utm

    utm.init_app(app)
    limiter.init_app(app)
    app.register_blueprint(bp)
