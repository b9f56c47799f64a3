"""Checks on Russian text: no English words left in what a buyer reads (an untranslated msgid shows as English)."""

from __future__ import annotations

import re

#: Latin words a Russian e-mail may carry: the order number's prefix, brands (payments, messengers), a file format.
ALLOWED = frozenset({"MK", "ЮKassa", "YooKassa", "e-mail", "email", "E-mail", "PDF", "Telegram", "WhatsApp"})

_SKIP = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+\.[\w.-]+|\bMK-\d{4}-\d{6}\b|ЮKassa|e-mail", re.IGNORECASE)
_LATIN = re.compile(r"\b[A-Za-z]{2,}\b")


def latin_words(text: str, allowed: frozenset[str] = ALLOWED) -> list[str]:
    """The Latin words in ``text`` except URLs, e-mail addresses, order numbers and ``allowed`` ones."""
    return [word for word in _LATIN.findall(_SKIP.sub(" ", text)) if word not in allowed]
