"""``flask --app wsgi telegram set-webhook https://shop.example.ru/telegram/webhook``: tell the Bot API where to
post the bot's updates (with ``TELEGRAM_WEBHOOK_SECRET`` as the secret it sends back). Messages in Russian."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from storefront.telegram.client import EXTENSION, TelegramBlocked, TelegramUnavailable

telegram_group = AppGroup("telegram", help="Telegram: the bot's webhook.")


@telegram_group.command("set-webhook")
@click.argument("url")
def set_webhook_command(url: str) -> None:
    """Register URL (https, ending in /telegram/webhook) as the bot's webhook."""
    bot = current_app.extensions.get(EXTENSION)
    secret = current_app.config["TELEGRAM_WEBHOOK_SECRET"]
    if bot is None or not secret:
        click.echo(_("Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first."), err=True)
        sys.exit(2)
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")) or not url.endswith(
        "/telegram/webhook"
    ):
        click.echo(_("The address must start with https:// and end with /telegram/webhook."), err=True)
        sys.exit(2)
    try:
        bot.set_webhook(url, secret)
    except (TelegramUnavailable, TelegramBlocked) as error:
        click.echo(_("The Bot API refused: %(error)s", error=error), err=True)
        sys.exit(1)
    click.echo(_("The webhook is set: %(url)s", url=url))
