"""First-touch UTM tags: what brought a visitor to the shop the first time in their browser session.

``capture_first_touch`` runs before every request: on the first landing that carries ``utm_*`` tags it keeps
well-formed ones in the Flask session, and never overwrites them later in the session (first touch, not last).
Registration and the account made from an order copy them onto the buyer (``Buyer.first_utm_*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, request, session

from storefront.logins.web import survives_sign_in

SESSION_KEY = "first_touch"
#: What brought the visitor stays theirs across signing in.
survives_sign_in(SESSION_KEY)
TAGS = ("utm_source", "utm_medium", "utm_campaign")
#: Letters (any script), digits and a few separators; anything else (markup, URLs, long junk) is dropped.
_WELL_FORMED = re.compile(r"^[\w.\-+ ]{1,64}$")


@dataclass(frozen=True)
class FirstTouch:
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None

    @property
    def is_empty(self) -> bool:
        return self.source is None and self.medium is None and self.campaign is None


def clean_tag(value: str | None) -> str | None:
    """The tag trimmed and lower-cased if it is short and plain, else None."""
    if value is None:
        return None
    value = value.strip().lower()
    return value if _WELL_FORMED.fullmatch(value) else None


def tags_from_args(args: dict[str, str]) -> FirstTouch:
    return FirstTouch(*(clean_tag(args.get(tag)) for tag in TAGS))


def capture_first_touch() -> None:
    if request.method != "GET" or SESSION_KEY in session:
        return
    if not any(tag in request.args for tag in TAGS):
        return
    touch = tags_from_args(request.args)
    if not touch.is_empty:
        session[SESSION_KEY] = [touch.source, touch.medium, touch.campaign]


def session_first_touch() -> FirstTouch | None:
    """The first touch kept in this browser session, if any (re-checked: the cookie is signed, but old)."""
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, list) or len(stored) != 3:
        return None
    touch = FirstTouch(*(clean_tag(value) if isinstance(value, str) else None for value in stored))
    return None if touch.is_empty else touch


def init_app(app: Flask) -> None:
    app.before_request(capture_first_touch)
