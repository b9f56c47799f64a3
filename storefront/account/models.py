"""Buyers, their consents and saved addresses, and the tier table checkout reads (the CRM computes tiers)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, TimestampMixin
from storefront.legal.models import LegalDocument


class BuyerKind(enum.StrEnum):
    PERSON = "person"
    COMPANY = "company"


class ConsentKind(enum.StrEnum):
    PERSONAL_DATA = "personal_data"
    MARKETING = "marketing"
    #: Marketing messages in Telegram: a channel of its own, given by pressing «Start» in the bot's chat.
    TELEGRAM = "telegram"


class Tier(Base):
    """A VIP tier. Owned here because checkout reads it; the CRM edits the policy and assigns buyers."""

    __tablename__ = "tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: 12-month paid spend in roubles from which the tier applies.
    threshold_amount: Mapped[Decimal] = mapped_column()
    #: Discount on goods in basis points (500 = 5 %).
    discount_bp: Mapped[int] = mapped_column(SmallInteger, default=0)
    free_shipping: Mapped[bool] = mapped_column(default=False)
    dedicated_manager: Mapped[bool] = mapped_column(default=False)
    deferred_payment: Mapped[bool] = mapped_column(default=False)
    perks: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (CheckConstraint("discount_bp BETWEEN 0 AND 5000", name="discount_range"),)

    @property
    def discount_percent(self) -> Decimal:
        return Decimal(self.discount_bp) / 100


class Buyer(TimestampMixin, Base):
    """A buyer account: a person or a company (INN/KPP/OGRN checked by checksum in ``account.identifiers``)."""

    __tablename__ = "buyers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Normalised (trimmed, lower case); unique, so one account per address whatever the case typed.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    #: E.164, Russian numbers only (+7…).
    phone: Mapped[str | None] = mapped_column(String(16))
    #: Messengers the buyer gave (optional; ``storefront.account.identifiers``): a Telegram username without the
    #: «@» (5–32 letters, digits, underscores) and a WhatsApp number in E.164 (+7…).
    telegram: Mapped[str | None] = mapped_column(String(32))
    whatsapp: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[BuyerKind] = mapped_column(String(16), default=BuyerKind.PERSON)
    company_name: Mapped[str | None] = mapped_column(String(300))
    inn: Mapped[str | None] = mapped_column(String(12), index=True)
    kpp: Mapped[str | None] = mapped_column(String(9))
    ogrn: Mapped[str | None] = mapped_column(String(15))
    legal_address: Mapped[str | None] = mapped_column(String(500))
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id", ondelete="SET NULL"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: When the buyer's personal data were erased (``storefront.privacy.erasure``); the row stays, anonymised.
    erased_at: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    #: First-touch UTM tags: the campaign of the visitor's first landing in the session they registered from
    #: (``storefront.account.utm``); None when they came without tags.
    first_utm_source: Mapped[str | None] = mapped_column(String(64))
    first_utm_medium: Mapped[str | None] = mapped_column(String(64))
    first_utm_campaign: Mapped[str | None] = mapped_column(String(64))
    #: The last marketing campaign link followed while signed in (order attribution; no FK: campaigns are CRM's).
    last_campaign_id: Mapped[int | None] = mapped_column(Integer)
    last_campaign_click_at: Mapped[datetime | None] = mapped_column()

    tier: Mapped[Tier | None] = relationship()
    addresses: Mapped[list[Address]] = relationship(
        back_populates="buyer", order_by="Address.id", cascade="all, delete-orphan"
    )
    consents: Mapped[list[Consent]] = relationship(back_populates="buyer", order_by="Consent.id")

    __table_args__ = (
        CheckConstraint("kind IN ('person', 'company')", name="kind_known"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    # Flask-Login's user protocol, spelled out so the model imports nothing from Flask.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Flask-Login's id. ``storefront.account.web.sign_in_buyer`` appends the session token to it; the user
        loader refuses an id without one, so a sign-in that bypassed the session row fails closed."""
        return str(self.id)

    @property
    def is_company(self) -> bool:
        return self.kind == BuyerKind.COMPANY

    def has_consent(self, kind: ConsentKind) -> bool:
        return any(c.kind == kind and c.withdrawn_at is None for c in self.consents)


class Consent(Base):
    """One consent given (152-FZ personal data, 38-FZ marketing): which text, when, where, from which IP."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"))
    #: Guests consent at checkout before any account exists: the email ties it to them.
    email: Mapped[str] = mapped_column(String(254))
    kind: Mapped[ConsentKind] = mapped_column(String(32))
    text_version: Mapped[str] = mapped_column(String(32))
    #: The published privacy policy version the buyer agreed to (personal-data consents given after one was
    #: published); None for marketing consents and for consents older than the published pages.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("legal_documents.id", ondelete="RESTRICT"))
    granted_at: Mapped[datetime] = mapped_column()
    source_page: Mapped[str] = mapped_column(String(500))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    #: Marketing only (double opt-in): when, and from which IP, the address's owner followed the confirmation
    #: link. Until then the consent is pending and no campaign mail goes out (``marketing_consent_in_force``).
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirmed_ip: Mapped[str | None] = mapped_column(String(45))

    buyer: Mapped[Buyer | None] = relationship(back_populates="consents")
    document: Mapped[LegalDocument | None] = relationship()

    @property
    def pending(self) -> bool:
        """A marketing consent given but not yet confirmed from the address."""
        return self.kind == ConsentKind.MARKETING and self.withdrawn_at is None and self.confirmed_at is None

    __table_args__ = (
        CheckConstraint("kind IN ('personal_data', 'marketing', 'telegram')", name="kind_known"),
        Index("ix_consents_buyer_id", "buyer_id"),
        Index("ix_consents_email", "email"),
    )


class Address(TimestampMixin, Base):
    """A saved delivery address."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str] = mapped_column(String(8))
    city: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(6))
    street: Mapped[str] = mapped_column(String(500))
    recipient: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)

    buyer: Mapped[Buyer] = relationship(back_populates="addresses")
