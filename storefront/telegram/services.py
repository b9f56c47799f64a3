"""Linking a buyer's Telegram chat, the bot's updates, and who may receive a Telegram message.

The link is a consent of its own (``ConsentKind.TELEGRAM``), given where only the buyer can give it: the account
page hands out a one-time deep link (``t.me/<bot>?start=<token>``), and pressing «Start» in that chat sends the
token back to us from the buyer's own Telegram account. /stop, the profile's «Отключить» and blocking the bot
each end the link and withdraw the consent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storefront.account.consents import TELEGRAM_VERSION
from storefront.account.models import Buyer, Consent, ConsentKind
from storefront.privacy.parts import Person
from storefront.telegram.models import TelegramLink

#: How long the deep link from the account page may be used.
START_TOKEN_LIFETIME = timedelta(hours=1)
#: Telegram allows [A-Za-z0-9_-], up to 64 characters, in a /start parameter (core.telegram.org/bots/features).
_START = re.compile(r"^/start(?:@\w+)?\s+([A-Za-z0-9_-]{16,64})\s*$")
_STOP = re.compile(r"^/stop(?:@\w+)?\s*$")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_link(session: Session, buyer_id: int, now: datetime) -> str:
    """A new one-time token for the deep link (an earlier unused one stops working); flushes."""
    token = secrets.token_urlsafe(24)
    link = session.scalar(select(TelegramLink).where(TelegramLink.buyer_id == buyer_id))
    if link is None:
        link = TelegramLink(buyer_id=buyer_id)
        session.add(link)
    link.start_token_hash = _hash(token)
    link.start_token_expires_at = now + START_TOKEN_LIFETIME
    session.flush()
    return token


def link_of(session: Session, buyer_id: int) -> TelegramLink | None:
    return session.scalar(select(TelegramLink).where(TelegramLink.buyer_id == buyer_id))


@dataclass(frozen=True)
class Replies:
    """What the bot answers in the chat, already translated (the webhook passes them in)."""

    linked: str
    already: str
    bad_link: str
    stopped: str
    unknown: str


def _withdraw(session: Session, buyer_id: int, now: datetime) -> None:
    session.execute(
        update(Consent)
        .where(Consent.buyer_id == buyer_id, Consent.kind == ConsentKind.TELEGRAM, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )


def unlink(session: Session, link: TelegramLink, now: datetime, reason: str) -> bool:
    """End the link and withdraw the Telegram consent; False if it was not linked. Flushes."""
    if link.chat_id is None:
        return False
    link.chat_id = None
    link.unlinked_at = now
    link.unlink_reason = reason
    _withdraw(session, link.buyer_id, now)
    session.flush()
    return True


def unlink_chat(session: Session, chat_id: int, now: datetime, reason: str) -> bool:
    link = session.scalar(select(TelegramLink).where(TelegramLink.chat_id == chat_id))
    return unlink(session, link, now, reason) if link is not None else False


def _link(session: Session, token: str, chat_id: int, username: str | None, now: datetime) -> bool | None:
    """Link the chat to the token's buyer: True linked now, None already linked to this chat, False refused."""
    link = session.scalar(select(TelegramLink).where(TelegramLink.start_token_hash == _hash(token)))
    if link is None or link.start_token_expires_at is None or link.start_token_expires_at < now:
        return False
    if link.chat_id == chat_id:
        return None
    # One chat, one buyer: a Telegram account linked to another buyer moves to this one.
    unlink_chat(session, chat_id, now, "moved")
    buyer = session.get(Buyer, link.buyer_id)
    if buyer is None or not buyer.is_active:
        return False
    link.chat_id = chat_id
    link.username = (username or "")[:64] or None
    link.linked_at = now
    link.unlinked_at = link.unlink_reason = None
    link.start_token_hash = link.start_token_expires_at = None
    _withdraw(session, buyer.id, now)
    session.add(
        Consent(
            buyer_id=buyer.id,
            email=buyer.email,
            kind=ConsentKind.TELEGRAM,
            text_version=TELEGRAM_VERSION,
            granted_at=now,
            source_page="telegram:/start",
            confirmed_at=now,
        )
    )
    session.flush()
    return True


def handle_update(session: Session, update_: dict[str, Any], now: datetime, replies: Replies) -> tuple[int, str] | None:
    """Apply one Bot API update; the (chat id, text) to answer with, or None. Flushes.

    Only private chats count: a /start in a group would link the group, not a person."""
    member = update_.get("my_chat_member")
    if isinstance(member, dict):
        chat = member.get("chat") or {}
        status = (member.get("new_chat_member") or {}).get("status")
        if chat.get("type") == "private" and status in ("kicked", "left") and isinstance(chat.get("id"), int):
            unlink_chat(session, chat["id"], now, "blocked")
        return None
    message = update_.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") or {}
    chat_id = chat.get("id")
    text = message.get("text")
    if chat.get("type") != "private" or not isinstance(chat_id, int) or not isinstance(text, str):
        return None
    if match := _START.match(text):
        sender = message.get("from") or {}
        linked = _link(session, match.group(1), chat_id, sender.get("username"), now)
        answer = {True: replies.linked, None: replies.already, False: replies.bad_link}[linked]
        return chat_id, answer
    if _STOP.match(text):
        unlink_chat(session, chat_id, now, "stop")
        return chat_id, replies.stopped
    return chat_id, replies.unknown


def telegram_consenting(session: Session, buyer_ids: list[int]) -> dict[int, int]:
    """Buyer id → chat id for those of ``buyer_ids`` with a linked chat and the Telegram consent in force."""
    if not buyer_ids:
        return {}
    rows = session.execute(
        select(TelegramLink.buyer_id, TelegramLink.chat_id)
        .join(Consent, Consent.buyer_id == TelegramLink.buyer_id)
        .join(Buyer, Buyer.id == TelegramLink.buyer_id)
        .where(
            TelegramLink.buyer_id.in_(buyer_ids),
            TelegramLink.chat_id.is_not(None),
            Consent.kind == ConsentKind.TELEGRAM,
            Consent.withdrawn_at.is_(None),
            Buyer.is_active.is_(True),
        )
    )
    return {buyer_id: chat_id for buyer_id, chat_id in rows if chat_id is not None}


def export_link(session: Session, buyer_id: int) -> dict[str, Any] | None:
    """The buyer's Telegram link for their data export (152-FZ art. 14)."""
    link = link_of(session, buyer_id)
    if link is None:
        return None
    return {
        "chat_id": link.chat_id,
        "username": link.username,
        "linked_at": link.linked_at.isoformat() if link.linked_at else None,
        "unlinked_at": link.unlinked_at.isoformat() if link.unlinked_at else None,
        "unlink_reason": link.unlink_reason,
    }


def erase_link(session: Session, person: Person) -> None:
    """Erasure: the chat id and username go (the consent rows are kept and anonymised with the others)."""
    session.execute(delete(TelegramLink).where(TelegramLink.buyer_id == person.buyer_id))
