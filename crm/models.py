"""Every CRM model module, imported once so the metadata (and Alembic) sees the CRM tables."""

from crm.audit.models import AuditEntry
from crm.staff.models import StaffUser
from crm.tiers.models import BuyerProfile, TierChange

__all__ = ["AuditEntry", "BuyerProfile", "StaffUser", "TierChange"]
