"""Locale and time zone selection, price and percent formatting and the language switcher."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency
from babel.numbers import format_percent as babel_format_percent
from babel.support import NullTranslations
from flask import Blueprint, Flask, current_app, g, has_request_context, redirect, request
from flask_babel import get_locale, get_translations
from werkzeug.wrappers import Response

from storefront.extensions import babel
from storefront.money import quantize_kopecks
from storefront.security import safe_next_url

LANGUAGE_COOKIE = "lang"
PRICE_LOCALE = "ru_RU"
WHOLE_ROUBLES = Decimal("1")
#: Up to two decimals, none when whole, a no-break space before the sign: «10 %», «12,5 %», «0,25 %».
PERCENT_FORMAT = "#,##0.##\xa0%"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The buyer's choice (cookie), else the browser's preference, else Russian."""
    if not has_request_context():  # CLI commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen is not None and chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=65536)
def _format_rub(value: Decimal, whole: bool) -> str:
    # Babel rounds half-even, so the amount is quantized half up first. Cached because
    # format_currency is the largest single cost on a listing page (see perf-baseline).
    if whole:
        rounded = value.quantize(WHOLE_ROUBLES, rounding=ROUND_HALF_UP)
        return format_currency(rounded, "RUB", format="#,##0\xa0¤", currency_digits=False, locale=PRICE_LOCALE)
    return format_currency(quantize_kopecks(value), "RUB", locale=PRICE_LOCALE)


def format_rub(value: Decimal | int | None) -> str:
    """«1 234,56 ₽» (no-break spaces), as Babel formats roubles for ru_RU."""
    if value is None:
        return ""
    return _format_rub(Decimal(value), False)


def format_rub_whole(value: Decimal | int | None) -> str:
    """«1 235 ₽»: whole roubles for listings, rounded half up."""
    if value is None:
        return ""
    return _format_rub(Decimal(value), True)


def format_percent(value: Decimal | float | int | None) -> str:
    """A value in percent (``12.5`` is twelve and a half per cent) as the reader's locale writes it: «12,5 %»."""
    if value is None:
        return ""
    locale = get_locale() if has_request_context() else None
    return babel_format_percent(
        Decimal(str(value)) / 100, format=PERCENT_FORMAT, locale=str(locale) if locale else PRICE_LOCALE
    )


@bp.get("/language/<code>")
def switch_language(code: str) -> Response:
    """Remember the chosen language in a cookie and go back to the page the buyer was on."""
    target = safe_next_url(request.args.get("next"))
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def request_translations() -> NullTranslations:
    """Flask-Babel's translations for the current locale, looked up once per request.

    Flask-Babel resolves the domain, the locale and the catalogue again on every call (~8 µs),
    and a listing page translates about a hundred strings. The catalogue is kept on ``g`` with
    the locale object it belongs to: ``force_locale`` swaps that object, so it still applies.
    """
    if not g:  # no app context: Flask-Babel answers with untranslated strings
        return get_translations()
    babel_state = g.get("_flask_babel")
    locale = getattr(babel_state, "babel_locale", None)
    cached = g.get("_request_translations")
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    g._request_translations = (g._flask_babel.babel_locale, translations)
    return translations


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # Templates translate through the per-request catalogue (same strings, same plural rules).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n (Flask-Babel)
        gettext=lambda string: request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: request_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.filters["rub"] = format_rub
    app.jinja_env.filters["rub_whole"] = format_rub_whole
    app.jinja_env.filters["percent"] = format_percent
    app.register_blueprint(bp)
