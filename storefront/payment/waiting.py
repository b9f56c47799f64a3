"""When the order page refreshes itself while a payment is pending: only while YooKassa really holds an open
payment for it, backing off (3, 5, 10, then 20 s), and not after about three minutes (then the buyer gets a
«check again» button that asks YooKassa once). Pure: the view gives the attempt and the step it is at."""

from __future__ import annotations

from dataclasses import dataclass

from storefront.payment.models import AttemptStatus, Payment

#: Seconds before each reload; the page stops after the last (3 + 5 + 10 + 8 × 20 = 178 s).
REFRESH_DELAYS = (3, 5, 10, 20, 20, 20, 20, 20, 20, 20, 20)
#: Statuses of a payment YooKassa has and has not finished (the buyer is paying, or the money is held).
PENDING_AT_YOOKASSA = (AttemptStatus.PENDING, AttemptStatus.WAITING_FOR_CAPTURE)


@dataclass(frozen=True)
class RefreshPlan:
    """``delay`` seconds to the next reload at ``step``; ``stopped`` once the reloads are used up."""

    step: int
    delay: int | None

    @property
    def stopped(self) -> bool:
        return self.delay is None


def pending_at_yookassa(attempt: Payment | None) -> bool:
    return attempt is not None and attempt.yookassa_payment_id is not None and attempt.status in PENDING_AT_YOOKASSA


def refresh_plan(attempt: Payment | None, step_text: str | None) -> RefreshPlan | None:
    """None when there is nothing to wait for; else the delay of this step (``?wait=`` in the URL)."""
    if not pending_at_yookassa(attempt):
        return None
    try:
        step = int(step_text or 0)
    except ValueError:
        step = 0
    step = max(step, 0)
    return RefreshPlan(step, REFRESH_DELAYS[step] if step < len(REFRESH_DELAYS) else None)
