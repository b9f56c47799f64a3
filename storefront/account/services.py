"""Buyer accounts: registration, sign-in, consents, addresses, password reset. No Flask here."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.account.consents import VERSIONS
from storefront.account.models import Address, Buyer, BuyerKind, Consent, ConsentKind, Tier
from storefront.account.tier_benefits import base_tier
from storefront.account.utm import FirstTouch
from storefront.db import utcnow
from storefront.errors import NotFound, ShopError
from storefront.events import buyer_registered
from storefront.legal.models import DocumentKind
from storefront.legal.services import current_document
from storefront.logins.models import LoginKind
from storefront.logins.services import end_sessions

logger = logging.getLogger(__name__)

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
RESET_SALT = "mostik-password-reset"
RESET_MAX_AGE = 3600
MIN_PASSWORD_LENGTH = 8


class EmailTaken(ShopError):
    """An account with this email already exists."""


class BadCredentials(ShopError):
    """Wrong email or password (never says which)."""


class ResetTokenInvalid(ShopError):
    """The reset link is forged, expired or already used."""


@dataclass(frozen=True)
class CompanyDetails:
    company_name: str
    inn: str
    kpp: str | None
    ogrn: str | None
    legal_address: str


@dataclass(frozen=True)
class ConsentRecord:
    """Where and how a consent was given (source page and IP come from the view)."""

    source_page: str
    ip_address: str | None
    marketing: bool


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_buyer_by_email(session: Session, email: str) -> Buyer | None:
    return session.scalars(select(Buyer).where(Buyer.email == email.strip().lower())).first()


def record_consents(
    session: Session, email: str, buyer: Buyer | None, record: ConsentRecord, now: datetime | None = None
) -> None:
    """Store the personal-data consent (always, pointing at the current privacy policy version) and the marketing
    one (only if ticked). Flushes."""
    now = now or utcnow()
    kinds = [ConsentKind.PERSONAL_DATA] + ([ConsentKind.MARKETING] if record.marketing else [])
    policy = current_document(session, DocumentKind.PRIVACY)
    for kind in kinds:
        if buyer is not None and buyer.has_consent(kind):
            continue
        consent = Consent(
            buyer=buyer,
            email=email,
            kind=kind,
            text_version=VERSIONS[kind],
            document=policy if kind == ConsentKind.PERSONAL_DATA else None,
            granted_at=now,
            source_page=record.source_page[:500],
            ip_address=(record.ip_address or "")[:45] or None,
        )
        session.add(consent)
        if buyer is not None and consent not in buyer.consents:
            buyer.consents.append(consent)
    session.flush()


def register_buyer(
    session: Session,
    *,
    email: str,
    password: str,
    name: str,
    phone: str | None,
    company: CompanyDetails | None,
    consent: ConsentRecord,
    first_touch: FirstTouch | None = None,
) -> Buyer:
    """Create an account (email already normalised by the form). Flushes; the caller commits, then calls
    ``announce_registration`` (``buyer_registered`` goes out only after the commit)."""
    if find_buyer_by_email(session, email) is not None:
        raise EmailTaken(email)
    buyer = Buyer(email=email, password_hash=hash_password(password), name=name.strip(), phone=phone)
    # Every buyer starts in the first tier (the one that needs no spend), not «no tier».
    first = base_tier(list(session.scalars(select(Tier).where(Tier.threshold_amount <= 0))))
    buyer.tier_id = first.id if first is not None else None
    if first_touch is not None:
        buyer.first_utm_source = first_touch.source
        buyer.first_utm_medium = first_touch.medium
        buyer.first_utm_campaign = first_touch.campaign
    _apply_company(buyer, company)
    session.add(buyer)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent registration with the same email (the caller rolls back)
        raise EmailTaken(email) from exc
    record_consents(session, email, buyer, consent)
    # Guest consents given at checkout with this email now belong to the account.
    for orphan in session.scalars(select(Consent).where(Consent.email == email, Consent.buyer_id.is_(None))):
        orphan.buyer = buyer
    session.flush()
    logger.info("buyer %s registered", buyer.id)
    return buyer


def announce_registration(buyer: Buyer) -> None:
    """Tell subscribers (the CRM) about a new account, after its commit."""
    buyer_registered.send(None, buyer_id=buyer.id)


def _apply_company(buyer: Buyer, company: CompanyDetails | None) -> None:
    if company is None:
        buyer.kind = BuyerKind.PERSON
        buyer.company_name = buyer.inn = buyer.kpp = buyer.ogrn = buyer.legal_address = None
        return
    buyer.kind = BuyerKind.COMPANY
    buyer.company_name = company.company_name.strip()
    buyer.inn = company.inn
    buyer.kpp = company.kpp
    buyer.ogrn = company.ogrn
    buyer.legal_address = company.legal_address.strip()


def update_profile(
    session: Session,
    buyer: Buyer,
    *,
    name: str,
    phone: str | None,
    company: CompanyDetails | None,
    telegram: str | None = None,
    whatsapp: str | None = None,
) -> Buyer:
    """Save what the buyer typed (normalised by the form); the messengers are optional, empty clears them."""
    buyer.name = name.strip()
    buyer.phone = phone
    buyer.telegram, buyer.whatsapp = telegram or None, whatsapp or None
    _apply_company(buyer, company)
    session.flush()
    return buyer


def authenticate(session: Session, email: str, password: str) -> Buyer:
    """The buyer with these credentials, or ``BadCredentials``; rehashes outdated argon2 parameters. Flushes (the
    sign-in time); the caller commits."""
    buyer = find_buyer_by_email(session, email)
    stored = buyer.password_hash if buyer is not None and buyer.is_active else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError) as exc:
        raise BadCredentials() from exc
    if buyer is None or stored is None:
        raise BadCredentials()
    if _hasher.check_needs_rehash(stored):
        buyer.password_hash = hash_password(password)
    buyer.last_login_at = utcnow()
    session.flush()
    return buyer


def password_matches(buyer: Buyer, password: str) -> bool:
    """Whether ``password`` is the buyer's (a confirmation before something irreversible)."""
    try:
        return _hasher.verify(buyer.password_hash or _DUMMY_HASH, password) and buyer.password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def withdraw_marketing_consent(session: Session, buyer: Buyer) -> int:
    """Withdraw every active marketing consent; returns how many. Flushes; the caller commits."""
    now = utcnow()
    withdrawn = 0
    for consent in buyer.consents:
        if consent.kind == ConsentKind.MARKETING and consent.withdrawn_at is None:
            consent.withdrawn_at = now
            withdrawn += 1
    session.flush()
    return withdrawn


def grant_marketing_consent(session: Session, buyer: Buyer, record: ConsentRecord) -> None:
    if not buyer.has_consent(ConsentKind.MARKETING):
        record_consents(session, buyer.email, buyer, ConsentRecord(record.source_page, record.ip_address, True))
    session.flush()


@dataclass(frozen=True)
class AddressData:
    region_code: str
    city: str
    postcode: str
    street: str
    recipient: str
    phone: str


def add_address(session: Session, buyer: Buyer, data: AddressData) -> Address:
    address = Address(buyer=buyer, position=len(buyer.addresses), **data.__dict__)
    session.add(address)
    session.flush()
    return address


def remember_address(session: Session, buyer: Buyer, data: AddressData) -> Address | None:
    """Save an address used at checkout unless the buyer already has the same one. Flushes; the caller
    commits."""
    for address in buyer.addresses:
        if (address.region_code, address.city, address.postcode, address.street, address.recipient, address.phone) == (
            data.region_code,
            data.city,
            data.postcode,
            data.street,
            data.recipient,
            data.phone,
        ):
            return None
    return add_address(session, buyer, data)


def delete_address(session: Session, buyer: Buyer, address_id: int) -> None:
    address = session.get(Address, address_id)
    if address is None or address.buyer_id != buyer.id:
        raise NotFound(f"address {address_id}")
    session.delete(address)
    session.flush()


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def make_reset_token(buyer: Buyer, secret_key: str) -> str:
    """A signed token naming the buyer and a fingerprint of the current hash: using it changes the
    hash, so each link works once."""
    return _reset_serializer(secret_key).dumps({"id": buyer.id, "fp": _hash_fingerprint(buyer)})


def _hash_fingerprint(buyer: Buyer) -> str:
    """A digest of the stored hash: changes with every new password, reveals nothing about it."""
    return hashlib.sha256((buyer.password_hash or "").encode()).hexdigest()[:20]


def buyer_for_reset_token(session: Session, token: str, secret_key: str, max_age: int = RESET_MAX_AGE) -> Buyer:
    try:
        data = _reset_serializer(secret_key).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature) as exc:
        raise ResetTokenInvalid() from exc
    if not isinstance(data, dict):
        raise ResetTokenInvalid()
    buyer = session.get(Buyer, data.get("id")) if isinstance(data.get("id"), int) else None
    if buyer is None or not hmac.compare_digest(_hash_fingerprint(buyer), str(data.get("fp", ""))):
        raise ResetTokenInvalid()
    return buyer


def reset_password(session: Session, token: str, secret_key: str, new_password: str) -> Buyer:
    """Set the new password and end every session of the buyer (whoever had the old one is signed out).
    Flushes; the caller commits."""
    buyer = buyer_for_reset_token(session, token, secret_key)
    buyer.password_hash = hash_password(new_password)
    end_sessions(session, LoginKind.BUYER, buyer.id)
    session.flush()
    return buyer
