"""What each side holds about a buyer, as pluggable parts: the storefront's own part is built in, the CRM adds its
part (campaign mail, notes, tier history) in ``crm.init_app`` without the storefront importing the CRM."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

EXTENSION = "privacy_parts"
#: What an erased person's name becomes wherever a name is required (orders, the account).
ERASED_NAME = "Данные удалены"
ERASED_DOMAIN = "erased.invalid"


@dataclass(frozen=True)
class Person:
    """Who is being erased: the values to find and what replaces them."""

    buyer_id: int
    email: str
    phone: str | None
    name: str

    @property
    def erased_email(self) -> str:
        """Unique per buyer, never deliverable (``.invalid``), so the old address is free for a new account."""
        return f"erased-{self.buyer_id}@{ERASED_DOMAIN}"

    def replacements(self) -> list[tuple[str, str]]:
        """(text, replacement) pairs, longest first: the e-mail, the phone as stored and as digits, the name."""
        pairs = [(self.email, self.erased_email)]
        if self.phone:
            pairs += [(self.phone, ""), (self.phone.lstrip("+"), "")]
        if len(self.name.strip()) >= 3:
            pairs.append((self.name.strip(), ERASED_NAME))
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    def scrub_text(self, text: str) -> str:
        for old, new in self.replacements():
            text = re.sub(re.escape(old), new, text, flags=re.IGNORECASE)
        return text

    def scrub(self, value: Any) -> Any:
        """``value`` (text or JSON) with every trace of the person replaced."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return value


@dataclass(frozen=True)
class PrivacyPart:
    """One side's share: ``export`` returns JSON-ready data for a buyer id; ``erase`` anonymises (flushes)."""

    name: str
    export: Callable[[Session, int], Any]
    erase: Callable[[Session, Person], None]


def register_part(app: Flask, part: PrivacyPart) -> None:
    """Add (or replace, by name) a part; safe to call again."""
    app.extensions.setdefault(EXTENSION, {})[part.name] = part


def parts_of(app: Flask) -> tuple[PrivacyPart, ...]:
    return tuple(app.extensions.get(EXTENSION, {}).values())
