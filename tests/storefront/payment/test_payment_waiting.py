"""When the order page reloads itself while a payment is pending (pure rules)."""

from __future__ import annotations

import pytest

from storefront.payment.models import AttemptStatus, Payment
from storefront.payment.waiting import REFRESH_DELAYS, refresh_plan


def _attempt(status: AttemptStatus, yookassa_id: str | None = "pay-1") -> Payment:
    return Payment(status=status, yookassa_payment_id=yookassa_id)


@pytest.mark.parametrize(
    ("attempt", "waits"),
    [
        (None, False),
        (_attempt(AttemptStatus.UNKNOWN, None), False),  # no answer from YooKassa: nothing pending there
        (_attempt(AttemptStatus.PENDING), True),
        (_attempt(AttemptStatus.WAITING_FOR_CAPTURE), True),
        (_attempt(AttemptStatus.SUCCEEDED), False),
        (_attempt(AttemptStatus.CANCELED), False),
    ],
)
def test_only_a_payment_pending_at_yookassa_is_waited_for(attempt: Payment | None, waits: bool) -> None:
    assert (refresh_plan(attempt, None) is not None) == waits


def test_the_reloads_back_off_and_stop_after_about_three_minutes() -> None:
    attempt = _attempt(AttemptStatus.PENDING)
    plans = [refresh_plan(attempt, str(step)) for step in range(len(REFRESH_DELAYS) + 2)]
    delays = [plan.delay for plan in plans if plan is not None and not plan.stopped]
    assert delays[:4] == [3, 5, 10, 20] and delays == sorted(delays)
    assert 150 <= sum(delays) <= 240
    assert all(plan is not None and plan.stopped for plan in plans[len(REFRESH_DELAYS) :])
    for nonsense in ("abc", "-4", "", None):
        plan = refresh_plan(attempt, nonsense)
        assert plan is not None and plan.delay == 3
