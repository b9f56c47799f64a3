"""What every template can use: navigation categories, the current locale, the language switcher."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import format_date, format_datetime, get_locale
from sqlalchemy.exc import SQLAlchemyError

from storefront.account.identifiers import format_phone, phone_href, telegram_href, whatsapp_href
from storefront.catalog.models import Category
from storefront.catalog.queries import cached_category_tree
from storefront.catalog.text import category_name, product_title
from storefront.extensions import db
from storefront.shipping.regions import format_address
from storefront.vocabulary import attribute_name, attribute_value, shipping_text, tier_text


def nav_categories() -> list[Category]:
    """Top-level categories for the header menu, loaded once per request."""
    if "nav_categories" not in g:
        try:
            g.nav_categories = cached_category_tree(db.session()).roots
        except SQLAlchemyError:  # an error page must still render when the database is down
            db.session.rollback()
            g.nav_categories = []
    return g.nav_categories


def init_app(app: Flask) -> None:
    # Dates and times in Russian, shown in Europe/Moscow (BABEL_DEFAULT_TIMEZONE).
    app.jinja_env.globals.update(format_date=format_date, format_datetime=format_datetime)
    # One way to write an address everywhere (shop pages, e-mails, CRM).
    app.jinja_env.globals.update(format_address=format_address)
    # One way to write a phone for people (+7 921 555-12-34) and to link it (tel:, WhatsApp, Telegram).
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.globals.update(phone_href=phone_href, whatsapp_href=whatsapp_href, telegram_href=telegram_href)
    # A global, not a context variable: macros imported without context (product cards) use it too.
    app.jinja_env.globals.update(product_title=product_title)
    # Our own fixed names stored in Russian (seeded tiers, carriers, common attributes) in the buyer's language.
    app.jinja_env.globals.update(
        tier_text=tier_text, shipping_text=shipping_text, attribute_name=attribute_name, attribute_value=attribute_value
    )

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {
            "nav_categories": nav_categories,
            "category_name": category_name,
            "current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
