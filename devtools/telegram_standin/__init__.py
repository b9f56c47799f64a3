"""A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), for tests and the demo.

It answers the methods the shop calls (getMe, setWebhook, deleteWebhook, sendMessage) by the reference's rules,
keeps what was sent, and plays the user's side: ``press_start`` and ``send_text`` deliver a ``message`` update
to the registered webhook with the secret token header, ``block`` marks the chat as having blocked the bot and
delivers the ``my_chat_member`` update Telegram sends then. Requests may carry parameters in the query string, a
form or JSON, as the real API accepts («Making requests»).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

TOKEN = "123456789:AAStandInTokenForTestsOnly_0123456789"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Мостик", "username": "mostik_demo_bot"}
#: setWebhook: «secret_token … 1-256 characters. Only characters A-Z, a-z, 0-9, _ and - are allowed.»
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
#: sendMessage: «Text of the message to be sent, 1-4096 characters after entities parsing».
MAX_TEXT = 4096


@dataclass
class Sent:
    chat_id: int
    text: str
    message_id: int
    options: dict[str, Any] = field(default_factory=dict)


def _answer(result: Any) -> Response:
    return Response(json.dumps({"ok": True, "result": result}), mimetype="application/json")


def _error(code: int, description: str, **extra: Any) -> Response:
    body = {"ok": False, "error_code": code, "description": description, **extra}
    return Response(json.dumps(body), status=code, mimetype="application/json")


class BotApiStandIn:
    """``with BotApiStandIn() as api:`` serves on 127.0.0.1; ``api.api_url`` is TELEGRAM_API_URL."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.sent: list[Sent] = []
        self.blocked: set[int] = set()
        #: Chats the user has opened (pressed Start in); sendMessage to any other chat is «chat not found».
        self.known_chats: set[int] = set()
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        #: Seconds for which sendMessage answers 429 (flood control), as the real API does under load.
        self.flood_until = 0.0
        self._ids = itertools.count(1)
        self._updates = itertools.count(1000)
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="telegram-standin", daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> BotApiStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # --- the API ---------------------------------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._dispatch(request)(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", request.path)
        if match is None:
            return _error(404, "Not Found")
        if match.group(1) != self.token:
            return _error(401, "Unauthorized")
        params: dict[str, Any] = dict(request.args)
        params.update(request.form)
        if request.is_json:
            params.update(request.get_json(silent=True) or {})
        method = match.group(2).lower()
        handler = {
            "getme": self._get_me,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "sendmessage": self._send_message,
        }.get(method)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return handler(params)

    def _get_me(self, params: dict[str, Any]) -> Response:
        return _answer(BOT)

    def _set_webhook(self, params: dict[str, Any]) -> Response:
        url = params.get("url") or ""
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(str(secret)):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        if not url:
            return self._delete_webhook(params)
        self.webhook_url, self.webhook_secret = str(url), secret
        return Response(
            json.dumps({"ok": True, "result": True, "description": "Webhook was set"}), mimetype="application/json"
        )

    def _delete_webhook(self, params: dict[str, Any]) -> Response:
        self.webhook_url = self.webhook_secret = None
        return Response(
            json.dumps({"ok": True, "result": True, "description": "Webhook was deleted"}),
            mimetype="application/json",
        )

    def _send_message(self, params: dict[str, Any]) -> Response:
        try:
            chat_id = int(params.get("chat_id", ""))
        except ValueError:
            return _error(400, "Bad Request: chat not found")
        text = str(params.get("text") or "")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return _error(400, "Bad Request: message is too long")
        if time.monotonic() < self.flood_until:
            retry = max(1, int(self.flood_until - time.monotonic()))
            return _error(429, f"Too Many Requests: retry after {retry}", parameters={"retry_after": retry})
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self.known_chats:
            return _error(400, "Bad Request: chat not found")
        with self._lock:
            message_id = next(self._ids)
            options = {key: value for key, value in params.items() if key not in ("chat_id", "text")}
            self.sent.append(Sent(chat_id, text, message_id, options))
        return _answer(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": text,
            }
        )

    # --- the user's side ---------------------------------------------------------------------------------------

    def _deliver(self, update: dict[str, Any]) -> int:
        """POST the update to the webhook as Telegram does; the webhook's HTTP status."""
        assert self.webhook_url, "no webhook set (setWebhook first)"
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        response = requests.post(self.webhook_url, json=update, headers=headers, timeout=10)
        return response.status_code

    def send_text(self, chat_id: int, text: str, username: str | None = "anna_buyer") -> int:
        self.known_chats.add(chat_id)
        self.blocked.discard(chat_id)
        sender = {"id": chat_id, "is_bot": False, "first_name": "Анна", "language_code": "ru"}
        if username:
            sender["username"] = username
        entities = (
            [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}] if text.startswith("/") else []
        )
        message = {
            "message_id": next(self._ids),
            "from": sender,
            "chat": {"id": chat_id, "first_name": "Анна", "type": "private"},
            "date": int(time.time()),
            "text": text,
            "entities": entities,
        }
        return self._deliver({"update_id": next(self._updates), "message": message})

    def press_start(self, chat_id: int, payload: str, username: str | None = "anna_buyer") -> int:
        """The user opened ``t.me/<bot>?start=<payload>`` and pressed «Start»."""
        return self.send_text(chat_id, f"/start {payload}", username)

    def block(self, chat_id: int) -> int:
        self.blocked.add(chat_id)
        member = {
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Анна"},
            "date": int(time.time()),
            "old_chat_member": {"user": BOT, "status": "member"},
            "new_chat_member": {"user": BOT, "status": "kicked", "until_date": 0},
        }
        return self._deliver({"update_id": next(self._updates), "my_chat_member": member})

    def messages_to(self, chat_id: int) -> list[str]:
        return [sent.text for sent in self.sent if sent.chat_id == chat_id]
