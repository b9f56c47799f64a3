"""Every audit action, declared once (like the permissions): the value stored in ``audit_entries.action``
and the label staff read on the audit page."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class AuditAction(enum.StrEnum):
    BUYER_VIEW = "buyer.view"
    BUYERS_EXPORT = "buyers.export"
    BUYERS_ASSIGN = "buyers.assign"
    BUYER_MESSENGERS = "buyer.messengers"
    TIER_CHANGE = "tier.change"
    TIER_POLICY_EDIT = "tier_policy.edit"
    ORDER_REFUND = "order.refund"
    SHIPMENT_CREATE = "shipment.create"
    TRACKING_EVENT_ADD = "shipment.event"
    TRACKING_IMPORT = "tracking.import"
    CARGO_BATCH_CREATE = "cargo_batch.create"
    CARGO_BATCH_EDIT = "cargo_batch.edit"
    CARGO_BATCH_EVENT = "cargo_batch.event"
    ORDER_CONFIRM = "order.confirm"
    ORDER_PACK = "order.pack"
    ORDER_DELIVER = "order.deliver"
    ORDER_CANCEL = "order.cancel"
    ORDERS_EXPORT = "orders.export"
    ORDER_LINKS_REVOKE = "order.links_revoke"
    RETENTION_EXPORT = "retention.export"
    SEGMENT_CREATE = "segments.create"
    SEGMENT_UPDATE = "segments.update"
    SEGMENT_DELETE = "segments.delete"
    SEGMENT_EXPORT = "segments.export"
    PROMO_CREATE = "promo.create"
    PROMO_DEACTIVATE = "promo.deactivate"
    CAMPAIGN_EDIT = "campaign.edit"
    CAMPAIGN_SCHEDULE = "campaign.schedule"
    CAMPAIGN_PAUSE = "campaign.paused"
    CAMPAIGN_RESUME = "campaign.sending"
    CAMPAIGN_CANCEL = "campaign.canceled"
    CAMPAIGN_BACK_TO_DRAFT = "campaign.draft"
    CAMPAIGN_TRIGGER = "campaign.trigger"
    CAMPAIGN_PREVIEW = "campaign.preview"
    CAMPAIGN_TEMPLATE = "campaign.template"
    CAMPAIGN_AB_WINNER = "campaign.ab_winner"
    CAMPAIGN_REPORT_EXPORT = "campaign_report.export"
    SYNONYM_CREATE = "synonym.create"
    SYNONYM_UPDATE = "synonym.update"
    SYNONYM_DELETE = "synonym.delete"
    DEMAND_EXPORT = "demand.export"
    BUYER_DATA_EXPORT = "buyer.data_export"
    BUYER_ERASE = "buyer.erase"
    LEGAL_PUBLISH = "legal.publish"
    STAFF_PASSWORD_CHANGE = "staff.password"
    STAFF_SESSIONS_END = "staff.sessions_end"
    TOTP_ENROL = "totp.enrol"
    TOTP_RESET = "totp.reset"
    TOTP_REFUSED = "totp.refused"
    TOTP_RECOVERY_USED = "totp.recovery"
    STATEMENT_EXPORT = "statement.export"
    PAYOUT_BATCH_CREATE = "payout_batch.create"
    PAYOUT_BATCH_PAID = "payout_batch.paid"
    PAYOUT_BATCH_CANCEL = "payout_batch.cancel"
    DISPUTE_DECIDE = "dispute.decide"
    DISPUTE_RETURN = "dispute.return_received"
    BANK_STATEMENT_IMPORT = "bank_statement.import"
    BANK_PAYMENT_MATCH = "bank_payment.match"
    BANK_PAYMENT_NOT_OURS = "bank_payment.not_ours"
    QUOTE_SEND = "quote.send"
    QUOTE_APPROVE = "quote.approve"
    QUOTE_REJECT = "quote.reject"
    QUOTE_WITHDRAW = "quote.withdraw"


LABELS = {
    AuditAction.BUYER_VIEW: _l("Buyer card viewed"),
    AuditAction.BUYERS_EXPORT: _l("Buyer list exported"),
    AuditAction.BUYERS_ASSIGN: _l("Account manager assigned"),
    AuditAction.BUYER_MESSENGERS: _l("Buyer's Telegram and WhatsApp changed"),
    AuditAction.TIER_CHANGE: _l("Buyer's tier set by hand"),
    AuditAction.TIER_POLICY_EDIT: _l("Tier policy edited"),
    AuditAction.ORDER_REFUND: _l("Order refunded"),
    AuditAction.SHIPMENT_CREATE: _l("Parcel sent"),
    AuditAction.TRACKING_EVENT_ADD: _l("Tracking event added"),
    AuditAction.TRACKING_IMPORT: _l("Tracking events imported"),
    AuditAction.CARGO_BATCH_CREATE: _l("Cargo batch created"),
    AuditAction.CARGO_BATCH_EDIT: _l("Cargo batch changed"),
    AuditAction.CARGO_BATCH_EVENT: _l("Cargo batch event added"),
    AuditAction.ORDER_CONFIRM: _l("Order confirmed by the supplier"),
    AuditAction.ORDER_PACK: _l("Order packed"),
    AuditAction.ORDER_DELIVER: _l("Order marked delivered"),
    AuditAction.ORDER_CANCEL: _l("Order canceled"),
    AuditAction.ORDERS_EXPORT: _l("Order list exported"),
    AuditAction.ORDER_LINKS_REVOKE: _l("Guest links to the order revoked"),
    AuditAction.RETENTION_EXPORT: _l("Retention figures exported"),
    AuditAction.SEGMENT_CREATE: _l("Segment created"),
    AuditAction.SEGMENT_UPDATE: _l("Segment changed"),
    AuditAction.SEGMENT_DELETE: _l("Segment deleted"),
    AuditAction.SEGMENT_EXPORT: _l("Segment exported to CSV"),
    AuditAction.PROMO_CREATE: _l("Promo code created"),
    AuditAction.PROMO_DEACTIVATE: _l("Promo code switched off"),
    AuditAction.CAMPAIGN_EDIT: _l("Campaign saved"),
    AuditAction.CAMPAIGN_PREVIEW: _l("Campaign previewed as a buyer"),
    AuditAction.CAMPAIGN_SCHEDULE: _l("Campaign scheduled"),
    AuditAction.CAMPAIGN_PAUSE: _l("Campaign paused"),
    AuditAction.CAMPAIGN_RESUME: _l("Campaign resumed"),
    AuditAction.CAMPAIGN_CANCEL: _l("Campaign canceled"),
    AuditAction.CAMPAIGN_BACK_TO_DRAFT: _l("Campaign back to draft"),
    AuditAction.CAMPAIGN_TRIGGER: _l("Automatic campaign switched"),
    AuditAction.CAMPAIGN_TEMPLATE: _l("E-mail template saved"),
    AuditAction.CAMPAIGN_AB_WINNER: _l("A/B test winner chosen"),
    AuditAction.CAMPAIGN_REPORT_EXPORT: _l("Campaign report exported"),
    AuditAction.SYNONYM_CREATE: _l("Search synonyms added"),
    AuditAction.SYNONYM_UPDATE: _l("Search synonyms changed"),
    AuditAction.SYNONYM_DELETE: _l("Search synonyms deleted"),
    AuditAction.DEMAND_EXPORT: _l("Search demand exported"),
    AuditAction.BUYER_DATA_EXPORT: _l("Buyer's personal data exported"),
    AuditAction.BUYER_ERASE: _l("Buyer's personal data erased"),
    AuditAction.LEGAL_PUBLISH: _l("Legal page published"),
    AuditAction.STAFF_PASSWORD_CHANGE: _l("Own password changed"),
    AuditAction.STAFF_SESSIONS_END: _l("Signed out on every device"),
    AuditAction.TOTP_ENROL: _l("Two-step sign-in switched on"),
    AuditAction.TOTP_RESET: _l("Two-step sign-in reset"),
    AuditAction.TOTP_REFUSED: _l("Sign-in code refused"),
    AuditAction.TOTP_RECOVERY_USED: _l("Signed in with a recovery code"),
    AuditAction.STATEMENT_EXPORT: _l("Supplier statement exported"),
    AuditAction.PAYOUT_BATCH_CREATE: _l("Payout batch created"),
    AuditAction.PAYOUT_BATCH_PAID: _l("Payout batch marked paid"),
    AuditAction.PAYOUT_BATCH_CANCEL: _l("Payout batch cancelled"),
    AuditAction.DISPUTE_DECIDE: _l("Dispute decided"),
    AuditAction.DISPUTE_RETURN: _l("Returned goods received for a dispute"),
    AuditAction.BANK_STATEMENT_IMPORT: _l("Bank statement imported"),
    AuditAction.BANK_PAYMENT_MATCH: _l("Bank payment matched to an order by hand"),
    AuditAction.BANK_PAYMENT_NOT_OURS: _l("Bank payment marked not ours"),
    AuditAction.QUOTE_SEND: _l("Quote sent"),
    AuditAction.QUOTE_APPROVE: _l("Quote below the price floor approved"),
    AuditAction.QUOTE_REJECT: _l("Quote below the price floor sent back"),
    AuditAction.QUOTE_WITHDRAW: _l("Quote withdrawn"),
}

#: The audit action a campaign status change is recorded as, by the status it moves to.
CAMPAIGN_STATUS_ACTIONS = {
    "paused": AuditAction.CAMPAIGN_PAUSE,
    "sending": AuditAction.CAMPAIGN_RESUME,
    "canceled": AuditAction.CAMPAIGN_CANCEL,
    "draft": AuditAction.CAMPAIGN_BACK_TO_DRAFT,
}


#: What an audit entry's ``target_type`` names, as staff read it.
TARGET_LABELS = {
    "buyer": _l("buyer"),
    "buyers": _l("buyers"),
    "order": _l("order"),
    "tier": _l("tier"),
    "promo_code": _l("promo code"),
    "segment": _l("segment"),
    "campaign": _l("campaign"),
    "trigger": _l("automatic campaign"),
    "retention": _l("retention figures"),
    "legal": _l("legal page"),
    "staff": _l("staff member"),
    "supplier": _l("supplier"),
    "payout_batch": _l("payout batch"),
    "bank_statement": _l("bank statement"),
    "bank_payment": _l("bank payment"),
    "quote": _l("quote"),
}


#: Details stored as codes (the buyer card: which view was opened), as staff read them.
DETAIL_LABELS = {
    "full": _l("full card"),
    "summary": _l("summary only"),
}


def detail_label(detail: str) -> str:
    """The words for a detail stored as a code; any other detail is already words."""
    label = DETAIL_LABELS.get(detail)
    return str(label) if label is not None else detail


def target_label(target_type: str) -> str:
    """The words for a stored target type; one not declared here shows as stored."""
    label = TARGET_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def action_label(action: str) -> str:
    """The label of a stored action; an action no longer declared shows as stored."""
    try:
        return str(LABELS[AuditAction(action)])
    except ValueError:
        return action
