"""The CRM's share of a buyer's data for ``storefront.privacy``: campaign mail (sent, opened, clicked,
unsubscribed), the account manager and tier history in the export; on erasure the campaign addresses and IP
addresses are replaced and the staff's notes and tasks about the buyer deleted (they may name the person)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.buyers.models import BuyerProfile
from crm.campaigns.models import Campaign, CampaignRecipient, Unsubscribe
from crm.tiers.models import TierChange
from crm.workspace.models import Note, Task
from storefront.privacy.parts import Person, PrivacyPart
from storefront.privacy.plain import fields, plain


def crm_export(session: Session, buyer_id: int) -> dict[str, Any]:
    profile = session.get(BuyerProfile, buyer_id)
    messages = session.execute(
        select(CampaignRecipient, Campaign.name, Campaign.subject)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(CampaignRecipient.buyer_id == buyer_id)
        .order_by(CampaignRecipient.id)
    )
    return {
        "account_manager": profile.manager.display_name if profile is not None and profile.manager else None,
        "tier_history": [
            {
                **fields(change, "created_at", "spend_12m", "reason"),
                "from": change.old_tier.name if change.old_tier else None,
                "to": change.new_tier.name if change.new_tier else None,
            }
            for change in session.scalars(
                select(TierChange).where(TierChange.buyer_id == buyer_id).order_by(TierChange.id)
            )
        ],
        "campaign_messages": [
            {
                "campaign": name,
                "subject": subject,
                **fields(
                    recipient,
                    "email",
                    "status",
                    "promo_code",
                    "sent_at",
                    "first_opened_at",
                    "open_count",
                    "first_clicked_at",
                    "click_count",
                    "unsubscribed_at",
                ),
            }
            for recipient, name, subject in messages
        ],
        "unsubscribes": [
            {**fields(unsubscribe, "created_at", "method", "ip_address"), "campaign_id": plain(unsubscribe.campaign_id)}
            for unsubscribe in session.scalars(
                select(Unsubscribe).where(Unsubscribe.buyer_id == buyer_id).order_by(Unsubscribe.id)
            )
        ],
    }


def crm_erase(session: Session, person: Person) -> None:
    for recipient in session.scalars(select(CampaignRecipient).where(CampaignRecipient.buyer_id == person.buyer_id)):
        recipient.email = person.erased_email
        recipient.last_error = person.scrub_text(recipient.last_error) if recipient.last_error else None
    session.execute(
        update(Unsubscribe)
        .where(Unsubscribe.buyer_id == person.buyer_id)
        .values(ip_address=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(Note).where(Note.buyer_id == person.buyer_id))
    session.execute(delete(Task).where(Task.buyer_id == person.buyer_id))
    profile = session.get(BuyerProfile, person.buyer_id)
    if profile is not None and profile.manual_reason:
        profile.manual_reason = person.scrub_text(profile.manual_reason)
    # Audit details written in staff's words (a tier reason, a cancel reason) may quote the person.
    needles = [old for old, _ in person.replacements()]
    for entry in session.scalars(select(AuditEntry).where(or_(*(AuditEntry.detail.contains(n) for n in needles)))):
        entry.detail = person.scrub_text(entry.detail)[:500]


PART = PrivacyPart(name="crm", export=crm_export, erase=crm_erase)
