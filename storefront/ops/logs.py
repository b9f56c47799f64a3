"""Log lines for production: one JSON object a line (time, level, logger, message, request id), never a
buyer's e-mail, phone or card number, nor a password, key or ``Authorization`` value.

- ``REQUEST_ID`` holds the id of the request being served (``storefront.ops.web`` sets it around every request);
  ``RequestIdFilter`` puts it on every record as ``request_id`` (``-`` outside a request).
- ``MaskingFilter`` rewrites a record before any handler writes it: the message with its arguments, the traceback
  and every extra attribute (the YooKassa SDK, when given a logger, passes the request's headers and body as
  ``context``). It sits on every handler of ``logging_config``, so records propagated from any logger pass it.
- ``logging_config`` is the ``dictConfig`` for ``create_app`` (``LOG_TO_STDOUT``); ``gunicorn.conf.py`` uses the
  same formatters and filters for gunicorn's own loggers.
"""

from __future__ import annotations

import contextvars
import logging
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

#: The id of the request this thread (or task) is serving; None outside a request.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("mostik_request_id", default=None)

MASK = "***"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: Russian numbers (+7, 7 or 8 and ten digits, any spacing; YooKassa receipts write 79161234567) and other
#: international ones written with «+».
_PHONE = re.compile(
    r"(?<![\w+])(?:\+7|7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)|(?<![\w+])\+\d(?:[\s()-]*\d){7,14}(?!\d)"
)
#: 13 to 19 digits, possibly in groups: what a card number looks like (longer runs are ids, not cards). Not inside
#: a word or a hyphenated run: a YooKassa payment id such as ``…-000f-5000-9000-077270f8d13c`` holds 14 digits in
#: groups and stays readable.
_CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w.-])")
#: ``Authorization: Basic …``, ``password=…``, ``"secret_key": "…"`` in text: the name stays, the value goes.
_SECRET_NAMES = (
    r"authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret[_-]?key|secret|api[_-]?key|token"
)
_NAMED_SECRET = re.compile(
    rf"""(?ix)
    (?P<name>["']?\b[\w-]*?(?:{_SECRET_NAMES})\b["']?\s*[:=]\s*)
    (?P<quote>["']?)
    (?:(?:basic|bearer|token)\s+)?
    [^\s"',;&}}]+
    """
)
#: ``scheme://user:password@host``: the password goes.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.IGNORECASE)
#: Keys of structured extras whose values are never written.
_SECRET_KEY_PARTS = ("authorization", "cookie", "password", "passwd", "secret", "token", "api_key", "apikey")
_PERSONAL_KEYS = frozenset({"email", "phone", "full_name", "recipient_phone", "card", "card_number", "pan"})
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without secrets, e-mail addresses, phone numbers and card-like numbers."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    text = _NAMED_SECRET.sub(rf"\g<name>\g<quote>{MASK}", text)
    text = _EMAIL.sub(MASK, text)
    text = _CARD.sub(MASK, text)
    return _PHONE.sub(MASK, text)


def _sensitive_key(key: object) -> bool:
    name = str(key).lower().lstrip("_").replace("-", "_")
    return name in _PERSONAL_KEYS or any(part in name for part in _SECRET_KEY_PARTS)


def mask_value(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of ``value`` (text, mapping, list) with every sensitive key's value and text masked."""
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, bytes):  # the SDK logs response bodies as bytes
        return mask_text(value.decode("utf-8", "replace"), secrets)
    if isinstance(value, Mapping):
        return {key: MASK if _sensitive_key(key) else mask_value(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(item, secrets) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_text(str(value), secrets)


class MaskingFilter(logging.Filter):
    """Rewrites every record it sees so that no handler writes personal data or a secret.

    ``secrets`` are literal values (the app's secret settings) masked wherever they appear."""

    def __init__(self, name: str = "", secrets: Iterable[str] = ()) -> None:
        super().__init__(name)
        self.secrets = tuple(sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_mostik_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template, drop the arguments
            message = str(record.msg)
        record.msg, record.args = mask_text(message, self.secrets), ()
        if record.exc_info:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info, self.secrets)
        for key in [key for key in record.__dict__ if key not in _RESERVED]:
            value = record.__dict__[key]
            record.__dict__[key] = MASK if _sensitive_key(key) else mask_value(value, self.secrets)
        record._mostik_masked = True
        return True


class RequestIdFilter(logging.Filter):
    """Adds ``request_id``: the id of the request being served, ``-`` outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


JSON_FIELDS = ("levelname", "name", "message", "request_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def formatters() -> dict[str, Any]:
    return {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": list(JSON_FIELDS),
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
            "json_ensure_ascii": False,
        },
        "text": {"format": TEXT_FORMAT},
    }


def filters(secrets: Iterable[str] = ()) -> dict[str, Any]:
    # The request id first: the masking filter must not take it for an extra attribute.
    return {
        "request_id": {"()": RequestIdFilter},
        "masking": {"()": MaskingFilter, "secrets": list(secrets)},
    }


def logging_config(json_lines: bool, secrets: Iterable[str] = (), level: str = "INFO") -> dict[str, Any]:
    """Every logger to stdout through one handler that adds the request id and masks what must not be written.

    ``disable_existing_loggers`` must stay False: the default True silences every logger created at import time
    (``storefront.errors`` — every 500 —, payments, jobs, mail)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters(),
        "filters": filters(secrets),
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "text",
                "filters": ["request_id", "masking"],
                "stream": "ext://sys.stdout",
            }
        },
        # The YooKassa SDK logs each request and response with its body at INFO when given this logger
        # (``storefront.payment.yookassa``): masked, but only wanted while debugging payments.
        "loggers": {"yookassa": {"level": "WARNING"}},
        "root": {"level": level, "handlers": ["stdout"]},
    }
