"""Why a buyer's tier changed: the value stored in ``tier_changes.reason`` and the words staff read for it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PAYMENT = "payment"
RECALC_UP = "recalc: up"
RECALC_GRACE_OVER = "recalc: grace over"
#: A tier set by hand is stored as this prefix and the staff member's own words.
MANUAL_PREFIX = "manual: "

LABELS = {
    PAYMENT: _l("a payment raised the 12-month spend"),
    RECALC_UP: _l("daily recalculation: the 12-month spend reached the tier"),
    RECALC_GRACE_OVER: _l("daily recalculation: the grace period is over"),
}


def reason_label(reason: str | None) -> str:
    """The reader's words for a stored reason; one not declared here shows as stored."""
    if not reason:
        return "—"
    if reason.startswith(MANUAL_PREFIX):
        return str(_l("set by hand: %(reason)s", reason=reason.removeprefix(MANUAL_PREFIX)))
    label = LABELS.get(reason)
    return str(label) if label is not None else reason
