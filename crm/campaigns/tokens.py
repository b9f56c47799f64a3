"""Signed tokens in campaign links (itsdangerous, keyed by SECRET_KEY, one salt per purpose).

A recipient id of 0 marks a preview or test send: its open and unsubscribe links work but record nothing; it has
no click links (they point straight at their targets), and a click token for it is refused.
"""

from __future__ import annotations

import functools

from itsdangerous import BadSignature, URLSafeSerializer


class BadToken(ValueError):
    """A token that was tampered with, truncated or made for another purpose."""


@functools.lru_cache(maxsize=16)  # made once, not per link: a campaign signs three tokens a message
def _serializer(secret_key: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=f"mostik-campaign-{purpose}")


def make_open_token(secret_key: str, recipient_id: int) -> str:
    return _serializer(secret_key, "open").dumps(recipient_id)


def make_unsubscribe_token(secret_key: str, recipient_id: int) -> str:
    return _serializer(secret_key, "unsubscribe").dumps(recipient_id)


def make_click_token(secret_key: str, recipient_id: int, url: str) -> str:
    return _serializer(secret_key, "click").dumps([recipient_id, url])


def read_recipient(secret_key: str, purpose: str, token: str) -> int:
    try:
        value = _serializer(secret_key, purpose).loads(token)
    except BadSignature:
        raise BadToken(purpose) from None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadToken(purpose)
    return value


def read_click(secret_key: str, token: str) -> tuple[int, str]:
    """(recipient id, target URL) of a real recipient's link; the URL must be http(s) even in a validly signed
    token. Preview tokens (recipient 0, issued before previews linked straight to their targets) are refused: they
    would redirect anywhere a marketer once typed, for ever."""
    try:
        value = _serializer(secret_key, "click").loads(token)
    except BadSignature:
        raise BadToken("click") from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or value[0] <= 0
        or not isinstance(value[1], str)
        or not value[1].lower().startswith(("http://", "https://"))
    ):
        raise BadToken("click")
    return value[0], value[1]
