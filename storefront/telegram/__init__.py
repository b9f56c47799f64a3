"""Telegram as a second marketing channel: a buyer links their chat through the bot's deep link (consent per
channel, recorded like e-mail consent), campaigns may go to the linked chats.

- ``client.py``: the Bot API through pyTelegramBotAPI (the only user of the library); errors as our own.
- ``models.py``: ``TelegramLink`` (buyer ↔ chat) and its one-time start tokens.
- ``services.py``: start a link, the bot's updates (/start, /stop, blocked), who may receive a message.
- ``views.py``: the account's connect/disconnect buttons and the webhook the Bot API posts updates to.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("telegram", __name__)


def init_app(app: Flask) -> None:
    """The bot client when ``TELEGRAM_BOT_TOKEN`` is set; the routes; the templates' ``telegram_enabled()`` and
    ``telegram_link(buyer_id)``."""
    from storefront.account.consents import TELEGRAM_TEXT
    from storefront.extensions import db
    from storefront.privacy.parts import PrivacyPart, register_part
    from storefront.telegram import views  # noqa: F401  (routes on bp)
    from storefront.telegram.cli import telegram_group
    from storefront.telegram.client import EXTENSION, BotClient
    from storefront.telegram.services import erase_link, export_link, link_of

    token = app.config["TELEGRAM_BOT_TOKEN"]
    if token:
        app.extensions[EXTENSION] = BotClient(
            token, app.config["TELEGRAM_API_URL"], app.config["TELEGRAM_TIMEOUT_SECONDS"]
        )
    app.register_blueprint(bp)
    app.cli.add_command(telegram_group)
    app.jinja_env.globals["telegram_enabled"] = lambda: EXTENSION in app.extensions
    app.jinja_env.globals["telegram_link"] = lambda buyer_id: link_of(db.session(), buyer_id)
    app.jinja_env.globals["telegram_consent_text"] = TELEGRAM_TEXT
    register_part(app, PrivacyPart("telegram", export_link, erase_link))
