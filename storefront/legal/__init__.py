"""Published legal pages: the privacy policy and the public offer, versioned (``/legal/privacy``,
``/legal/offer``, older versions at ``/legal/<document>/v/<n>``). The CRM publishes new versions."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("legal", __name__, url_prefix="/legal")


def init_app(app: Flask) -> None:
    from storefront.legal import views  # noqa: F401  (registers the routes on bp)
    from storefront.legal.services import current_document
    from storefront.legal.text import paragraphs

    app.jinja_env.globals.update(legal_document=current_document, legal_paragraphs=paragraphs)
    app.register_blueprint(bp)
