"""Every CRM model module, imported once so the metadata (and Alembic) sees the CRM tables."""

from crm.audit.models import AuditEntry
from crm.buyers.models import BuyerProfile
from crm.campaigns.models import Campaign, CampaignRecipient, Unsubscribe
from crm.reorder.models import BuyerStats, ReorderBaseline
from crm.segments.models import Segment
from crm.staff.models import RecoveryCode, StaffUser
from crm.tiers.models import TierChange
from crm.workspace.models import Note, Task

__all__ = [
    "AuditEntry",
    "BuyerProfile",
    "BuyerStats",
    "RecoveryCode",
    "ReorderBaseline",
    "Campaign",
    "CampaignRecipient",
    "Unsubscribe",
    "Note",
    "Segment",
    "StaffUser",
    "Task",
    "TierChange",
]
