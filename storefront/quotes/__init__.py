"""Quotes (коммерческие предложения, issue 18): ``models.py`` (quotes, lines, states), ``services.py`` (price,
send, approve, withdraw, expire, accept into an order), ``web.py`` (words, the «quote sent» e-mail, the PDF),
``views.py`` (the buyer's list, page, PDF and «Оформить заказ по предложению»). Staff build quotes in
``crm.quotes``."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("quotes", __name__)


def init_app(app: Flask) -> None:
    from storefront.quotes import views, web  # noqa: F401  (routes on bp; the e-mail renderer registers)
    from storefront.quotes.services import POLICY_EXTENSION, QuotePolicy

    app.extensions[POLICY_EXTENSION] = QuotePolicy.from_config(app.config)
    app.add_template_global(web.quote_status_label)
    app.add_template_global(web.quote_event_label)
    app.register_blueprint(bp)
