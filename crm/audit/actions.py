"""Every audit action, declared once (like the permissions): the value stored in ``audit_entries.action``
and the label staff read on the audit page."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class AuditAction(enum.StrEnum):
    BUYER_VIEW = "buyer.view"
    BUYERS_EXPORT = "buyers.export"
    BUYERS_ASSIGN = "buyers.assign"
    TIER_CHANGE = "tier.change"
    TIER_POLICY_EDIT = "tier_policy.edit"
    ORDER_REFUND = "order.refund"
    ORDERS_EXPORT = "orders.export"
    RETENTION_EXPORT = "retention.export"
    SEGMENT_CREATE = "segments.create"
    SEGMENT_UPDATE = "segments.update"
    SEGMENT_DELETE = "segments.delete"
    PROMO_CREATE = "promo.create"
    PROMO_DEACTIVATE = "promo.deactivate"
    CAMPAIGN_EDIT = "campaign.edit"
    CAMPAIGN_SCHEDULE = "campaign.schedule"
    CAMPAIGN_PAUSE = "campaign.paused"
    CAMPAIGN_RESUME = "campaign.sending"
    CAMPAIGN_CANCEL = "campaign.canceled"
    CAMPAIGN_BACK_TO_DRAFT = "campaign.draft"
    CAMPAIGN_TRIGGER = "campaign.trigger"


LABELS = {
    AuditAction.BUYER_VIEW: _l("Buyer card viewed"),
    AuditAction.BUYERS_EXPORT: _l("Buyer list exported"),
    AuditAction.BUYERS_ASSIGN: _l("Account manager assigned"),
    AuditAction.TIER_CHANGE: _l("Buyer's tier set by hand"),
    AuditAction.TIER_POLICY_EDIT: _l("Tier policy edited"),
    AuditAction.ORDER_REFUND: _l("Order refunded"),
    AuditAction.ORDERS_EXPORT: _l("Order list exported"),
    AuditAction.RETENTION_EXPORT: _l("Retention figures exported"),
    AuditAction.SEGMENT_CREATE: _l("Segment created"),
    AuditAction.SEGMENT_UPDATE: _l("Segment changed"),
    AuditAction.SEGMENT_DELETE: _l("Segment deleted"),
    AuditAction.PROMO_CREATE: _l("Promo code created"),
    AuditAction.PROMO_DEACTIVATE: _l("Promo code switched off"),
    AuditAction.CAMPAIGN_EDIT: _l("Campaign saved"),
    AuditAction.CAMPAIGN_SCHEDULE: _l("Campaign scheduled"),
    AuditAction.CAMPAIGN_PAUSE: _l("Campaign paused"),
    AuditAction.CAMPAIGN_RESUME: _l("Campaign resumed"),
    AuditAction.CAMPAIGN_CANCEL: _l("Campaign canceled"),
    AuditAction.CAMPAIGN_BACK_TO_DRAFT: _l("Campaign back to draft"),
    AuditAction.CAMPAIGN_TRIGGER: _l("Automatic campaign switched"),
}

#: The audit action a campaign status change is recorded as, by the status it moves to.
CAMPAIGN_STATUS_ACTIONS = {
    "paused": AuditAction.CAMPAIGN_PAUSE,
    "sending": AuditAction.CAMPAIGN_RESUME,
    "canceled": AuditAction.CAMPAIGN_CANCEL,
    "draft": AuditAction.CAMPAIGN_BACK_TO_DRAFT,
}


def action_label(action: str) -> str:
    """The label of a stored action; an action no longer declared shows as stored."""
    try:
        return str(LABELS[AuditAction(action)])
    except ValueError:
        return action
