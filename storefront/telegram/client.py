"""The Bot API through pyTelegramBotAPI; the rest of the code sees only ``BotClient`` and our two errors.

The library keeps its API address in a module global (``apihelper.API_URL``), so one process talks to one Bot API
server: the one in ``TELEGRAM_API_URL`` (the real one, or the local stand-in in tests and the demo).
"""

from __future__ import annotations

import requests
import telebot
from telebot import apihelper
from telebot.apihelper import ApiTelegramException

EXTENSION = "telegram_bot"


class TelegramUnavailable(Exception):
    """The Bot API could not be reached or asked us to wait (network, 5xx, 429): try again later."""


class TelegramBlocked(Exception):
    """This chat will not receive messages: the user blocked the bot, or the chat no longer exists."""


def _refusal(error: ApiTelegramException) -> Exception:
    # https://core.telegram.org/bots/api#making-requests: error_code follows HTTP; 403 «Forbidden: bot was blocked
    # by the user» / «user is deactivated», 400 «chat not found» mean this chat is gone for good.
    code = error.error_code
    description = str(error.description or "")
    if code == 403 or (code == 400 and "chat not found" in description):
        return TelegramBlocked(description)
    if code == 429 or code >= 500:
        return TelegramUnavailable(description)
    return error


class BotClient:
    def __init__(self, token: str, api_url: str, timeout: float) -> None:
        # The library declares these None and int; it passes them to requests, which takes a str and a float.
        apihelper.API_URL = api_url.rstrip("/") + "/bot{0}/{1}"  # type: ignore[assignment]
        apihelper.CONNECT_TIMEOUT = timeout  # type: ignore[assignment]
        apihelper.READ_TIMEOUT = timeout  # type: ignore[assignment]
        self._bot = telebot.TeleBot(token, threaded=False)

    def _call(self, method: str, *args: object, **kwargs: object) -> object:
        try:
            return getattr(self._bot, method)(*args, **kwargs)
        except ApiTelegramException as error:
            raise _refusal(error) from error
        except requests.RequestException as error:
            raise TelegramUnavailable(str(error)) from error

    def send_text(self, chat_id: int, text: str) -> int:
        """Send a plain-text message (links shown without a preview); its message id."""
        message = self._call(
            "send_message",
            chat_id,
            text,
            link_preview_options=telebot.types.LinkPreviewOptions(is_disabled=True),
        )
        return int(message.message_id)  # type: ignore[attr-defined]

    def set_webhook(self, url: str, secret: str) -> None:
        self._call("set_webhook", url=url, secret_token=secret, allowed_updates=["message", "my_chat_member"])

    def username(self) -> str:
        me = self._call("get_me")
        return str(me.username)  # type: ignore[attr-defined]
