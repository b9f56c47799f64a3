"""Campaigns, their recipients (one row per buyer, claimed before sending) and recorded unsubscribes."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.segments.models import Segment
from storefront.db import Base, TimestampMixin, utcnow


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELED = "canceled"


class Channel(enum.StrEnum):
    EMAIL = "email"
    #: To the buyers' linked Telegram chats with the Telegram consent in force (``storefront.telegram``).
    TELEGRAM = "telegram"


class PromoMode(enum.StrEnum):
    NONE = "none"
    SHARED = "shared"
    UNIQUE = "unique"


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; the lease in ``claimed_at`` says until when
    SENT = "sent"
    FAILED = "failed"  # gave up after CAMPAIGN_MAX_ATTEMPTS
    CONTROL = "control"  # held out: never mailed, compared in the report
    SKIPPED = "skipped"  # consent withdrawn between selection and sending
    CAPPED = "capped"  # the per-buyer frequency cap was reached
    HELD = "held"  # an A/B test's rest: waits for the winner (then pending), never claimed before


class AbMetric(enum.StrEnum):
    """What an A/B test of subjects is decided by (``crm/campaigns/ab_test.py``)."""

    OPENS = "opens"
    CLICKS = "clicks"
    REVENUE = "revenue"


class Campaign(TimestampMixin, Base):
    __tablename__ = "crm_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The utm_campaign value (transliterated, unique).
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("crm_segments.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300))
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    #: The block editor's body (``crm/campaigns/blocks.py`` validates it). When set, the message is rendered from
    #: the blocks at send time (live prices) and ``body_html`` / ``body_text`` are only the expert mode's copy.
    body_blocks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    status: Mapped[CampaignStatus] = mapped_column(String(16), default=CampaignStatus.DRAFT)
    promo_mode: Mapped[PromoMode] = mapped_column(String(16), default=PromoMode.NONE)
    #: Discount for the campaign's codes, basis points (1000 = 10 %).
    promo_percent_bp: Mapped[int] = mapped_column(SmallInteger, default=0)
    promo_valid_days: Mapped[int] = mapped_column(SmallInteger, default=14)
    #: The shared code (PromoMode.SHARED), upper case.
    promo_code: Mapped[str | None] = mapped_column(String(40))
    #: Ad marking (38-FZ art. 18.1): advertiser details and the erid token, printed in the footer when set.
    advertiser: Mapped[str | None] = mapped_column(String(300))
    erid: Mapped[str | None] = mapped_column(String(64))
    #: Percent of the segment held out as a control group (not mailed).
    control_percent: Mapped[int] = mapped_column(SmallInteger, default=0)
    scheduled_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    #: Set on the automatic campaigns: ``abandoned_cart``, ``tier_upgrade`` … (see ``triggers.py``).
    trigger: Mapped[str | None] = mapped_column(String(32), unique=True)
    trigger_enabled: Mapped[bool] = mapped_column(default=False)
    trigger_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    channel: Mapped[Channel] = mapped_column(String(16), default=Channel.EMAIL, server_default="email")
    #: A/B test of subjects (``crm/campaigns/ab_test.py``): variant B's subject; None: no test.
    subject_b: Mapped[str | None] = mapped_column(String(300))
    #: Percent of the mailed recipients in the test (half A, half B); the rest wait for the winner.
    ab_percent: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    ab_metric: Mapped[AbMetric] = mapped_column(String(16), default=AbMetric.OPENS, server_default="opens")
    #: Hours after the start at which the winner is chosen.
    ab_wait_hours: Mapped[int] = mapped_column(SmallInteger, default=4, server_default="4")
    #: 'A' or 'B' once chosen, and when.
    ab_winner: Mapped[str | None] = mapped_column(String(1))
    ab_decided_at: Mapped[datetime | None] = mapped_column()

    segment: Mapped[Segment | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'paused', 'sent', 'canceled')", name="status_known"
        ),
        CheckConstraint("promo_mode IN ('none', 'shared', 'unique')", name="promo_mode_known"),
        CheckConstraint("channel IN ('email', 'telegram')", name="channel_known"),
        CheckConstraint("control_percent BETWEEN 0 AND 50", name="control_range"),
        CheckConstraint("promo_percent_bp BETWEEN 0 AND 10000", name="promo_percent_range"),
        CheckConstraint("ab_percent = 0 OR ab_percent BETWEEN 10 AND 50", name="ab_percent_range"),
        CheckConstraint("ab_metric IN ('opens', 'clicks', 'revenue')", name="ab_metric_known"),
        CheckConstraint("ab_winner IN ('A', 'B')", name="ab_winner_known"),
    )

    @property
    def ab_test(self) -> bool:
        """Whether the campaign tests two subjects."""
        return bool(self.ab_percent and self.subject_b)

    @property
    def promo_percent(self) -> Decimal:
        return Decimal(self.promo_percent_bp) / 100


class CampaignTemplate(TimestampMixin, Base):
    """A named, saved set of blocks a marketer starts a campaign from."""

    __tablename__ = "crm_campaign_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))


class CampaignRecipient(Base):
    """One buyer of one campaign. Never two rows for the same (campaign, buyer, occasion): the unique key is
    what makes «exactly one message per recipient» hold even when two senders race or one restarts.

    ``occasion`` is empty for ordinary campaigns; a trigger names what it fired for (``cart:12``), so a buyer
    gets an abandoned-cart mail once per cart.
    """

    __tablename__ = "crm_campaign_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("crm_campaigns.id", ondelete="CASCADE"))
    #: Indexed by ``ix_crm_campaign_recipients_sent`` (buyer_id, sent_at), which the frequency cap reads.
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"))
    occasion: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(254))
    #: Telegram campaigns: the chat the message goes to (taken when the campaign starts).
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    is_control: Mapped[bool] = mapped_column(default=False)
    #: A/B test: 'A' or 'B' for the test share; '' for everyone else (the rest get the winner's subject).
    variant: Mapped[str] = mapped_column(String(1), default="", server_default="")
    status: Mapped[RecipientStatus] = mapped_column(String(16), default=RecipientStatus.PENDING)
    promo_code: Mapped[str | None] = mapped_column(String(40))
    #: Not before this moment (quiet hours defer trigger mail instead of dropping it).
    not_before: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column()
    first_opened_at: Mapped[datetime | None] = mapped_column()
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    first_clicked_at: Mapped[datetime | None] = mapped_column()
    click_count: Mapped[int] = mapped_column(Integer, default=0)
    unsubscribed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship()

    __table_args__ = (
        UniqueConstraint("campaign_id", "buyer_id", "occasion", name="one_per_buyer"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'control', 'skipped', 'capped', 'held')",
            name="status_known",
        ),
        Index("ix_crm_campaign_recipients_queue", "campaign_id", "status"),
        Index("ix_crm_campaign_recipients_sent", "buyer_id", "sent_at"),
    )


class Unsubscribe(Base):
    """A recorded unsubscribe (38-FZ: the sender must prove when mailing stopped)."""

    __tablename__ = "crm_unsubscribes"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("crm_campaigns.id", ondelete="SET NULL"))
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_campaign_recipients.id", ondelete="SET NULL"), unique=True
    )
    #: ``one_click`` (the List-Unsubscribe-Post from a mail client) or ``page`` (the confirmation page).
    method: Mapped[str] = mapped_column(String(16))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
