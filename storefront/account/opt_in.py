"""Double opt-in: a marketing consent counts only once the address's owner confirms it from a signed, expiring link.

Until then it is pending (``Consent.confirmed_at`` is NULL) and no campaign mail goes out
(``queries.marketing_consent_in_force``), so nobody can subscribe somebody else's address by typing it at
registration or checkout. No Flask here: the views make the link, send the e-mail and pass the client's IP.
"""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.account.models import Consent, ConsentKind
from storefront.db import rowcount
from storefront.errors import ShopError

CONFIRM_SALT = "mostik-marketing-confirm"


class ConfirmLinkInvalid(ShopError):
    """The confirmation link is forged or damaged (``expired`` False) or too old (``expired`` True)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "forged")
        self.expired = expired


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT)


def make_confirm_token(consent: Consent, secret_key: str) -> str:
    """The signed part of the confirmation link: the consent and the address it was given for."""
    return _serializer(secret_key).dumps({"c": consent.id, "e": consent.email})


def consent_for_token(session: Session, token: str, secret_key: str, max_age_seconds: int) -> Consent:
    """The marketing consent a link confirms, or ``ConfirmLinkInvalid``."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise ConfirmLinkInvalid(expired=True) from error
    except BadSignature as error:
        raise ConfirmLinkInvalid(expired=False) from error
    consent_id = data.get("c") if isinstance(data, dict) else None
    consent = session.get(Consent, consent_id) if isinstance(consent_id, int) else None
    if consent is None or consent.kind != ConsentKind.MARKETING or consent.email != data.get("e"):
        raise ConfirmLinkInvalid(expired=False)
    return consent


def confirm_marketing_consent(session: Session, consent: Consent, now: datetime, ip_address: str | None) -> bool:
    """Record the confirmation (time and IP, like the consent itself) in one conditional UPDATE: True when this call
    confirmed it; False when it was confirmed already or withdrawn meanwhile. Flushes; the caller commits."""
    moved = rowcount(
        session.execute(
            update(Consent)
            .where(Consent.id == consent.id, Consent.confirmed_at.is_(None), Consent.withdrawn_at.is_(None))
            .values(confirmed_at=now, confirmed_ip=(ip_address or "")[:45] or None)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(consent)
    return moved == 1


def pending_marketing_consent(session: Session, email: str) -> Consent | None:
    """The latest marketing consent given for ``email`` and still waiting for its confirmation."""
    return session.scalar(
        select(Consent)
        .where(
            Consent.email == email,
            Consent.kind == ConsentKind.MARKETING,
            Consent.withdrawn_at.is_(None),
            Consent.confirmed_at.is_(None),
        )
        .order_by(Consent.id.desc())
        .limit(1)
    )
