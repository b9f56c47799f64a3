"""The account's «Подключить Telegram» / «Отключить» and the webhook the Bot API posts the bot's updates to."""

from __future__ import annotations

import hmac
import logging
from io import BytesIO

import segno
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from storefront.db import utcnow
from storefront.extensions import csrf, db
from storefront.input_bounds import JSONRefused, load_json
from storefront.telegram import bp
from storefront.telegram.client import EXTENSION, BotClient, TelegramBlocked, TelegramUnavailable
from storefront.telegram.services import Replies, handle_update, link_of, start_link, unlink, unlink_chat

logger = logging.getLogger(__name__)
#: A Bot API update is a few kilobytes; anything much larger is not one.
MAX_UPDATE_BYTES = 64 * 1024


def _bot() -> BotClient:
    """The configured bot, or 404: without ``TELEGRAM_BOT_TOKEN`` there is no Telegram here."""
    bot: BotClient | None = current_app.extensions.get(EXTENSION)
    if bot is None:
        abort(404)
    return bot


@bp.post("/account/telegram/connect")
@login_required
def connect() -> str:
    """A one-time deep link to the bot, as a button (phones) and a QR code (a computer, scanned by the phone)."""
    _bot()
    token = start_link(db.session(), current_user.id, utcnow())
    db.session.commit()
    link = f"https://t.me/{current_app.config['TELEGRAM_BOT_USERNAME']}?start={token}"
    qr = BytesIO()
    segno.make(link, error="m").save(qr, kind="svg", scale=5, border=2, dark="#1b1b1b", xmldecl=False, svgns=True)
    return render_template("account/telegram_connect.html", link=link, qr_svg=qr.getvalue().decode())


@bp.post("/account/telegram/disconnect")
@login_required
def disconnect() -> Response:
    _bot()
    link = link_of(db.session(), current_user.id)
    if link is not None and unlink(db.session(), link, utcnow(), "account"):
        db.session.commit()
        flash(_("Telegram is disconnected: we will not write to you there."), "success")
    return redirect(url_for("account.profile"), 303)


def _replies() -> Replies:
    return Replies(
        linked=_("Done: Mostik's offers and news will come here. To stop them, send /stop."),
        already=_("This chat is already connected to your Mostik account."),
        bad_link=_(
            "This link has expired or was already used. Open your Mostik profile and press «Connect Telegram» again."
        ),
        stopped=_("You will not get messages from Mostik here any more. To connect again, use your profile."),
        unknown=_("This bot only sends Mostik's offers. To stop them, send /stop."),
    )


@bp.post("/telegram/webhook")
@csrf.exempt
def webhook() -> tuple[str, int]:
    """The Bot API's updates. Refused without our secret (403) or when not an update (400); otherwise 200 at once,
    even for updates we ignore, or Telegram would send them again."""
    bot = _bot()
    secret = current_app.config["TELEGRAM_WEBHOOK_SECRET"] or ""
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return "forbidden", 403
    try:
        update = load_json(request.get_data(cache=False), MAX_UPDATE_BYTES, 20)
    except JSONRefused:
        return "not a Telegram update", 400
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return "not a Telegram update", 400
    answer = handle_update(db.session(), update, utcnow(), _replies())
    db.session.commit()
    if answer is not None:
        chat_id, text = answer
        try:
            bot.send_text(chat_id, text)
        except TelegramBlocked:
            unlink_chat(db.session(), chat_id, utcnow(), "blocked")
            db.session.commit()
        except TelegramUnavailable:
            logger.warning("the bot's answer to chat %s was not sent", chat_id, exc_info=True)
    return "", 200
