"""The buyer's view of an order's way: the steps done (with their dates) and the steps ahead, with the expected
delivery from the shipping method's days. Pure: takes the order (with its history) and today's Moscow date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from storefront.moscow import to_moscow
from storefront.order.models import MONEY_IN, HistoryKind, Order, OrderStatus, PaymentStatus

#: The steps in the order a buyer reads them; "paid" is the money's, the rest the goods'.
STEPS = ("placed", "paid", "confirmed", "packed", "shipped", "delivered", "completed")


@dataclass(frozen=True)
class Step:
    key: str
    #: When it happened (None for a step ahead, or one passed over: shipped straight after confirmation).
    done_at: datetime | None
    done: bool
    #: The first step ahead: what the order waits for now.
    current: bool = False


@dataclass(frozen=True)
class Progress:
    steps: list[Step]
    canceled_at: datetime | None
    cancel_note: str
    #: The window of expected delivery (Moscow dates), while the goods are still on their way.
    expected: tuple[date, date] | None


def _first_times(order: Order) -> dict[str, datetime]:
    seen: dict[str, datetime] = {"placed": order.created_at}
    for change in order.history:
        if change.kind == HistoryKind.PAYMENT:
            if change.to_status == PaymentStatus.PAID:
                seen.setdefault("paid", change.created_at)
        elif change.from_status is not None:
            seen.setdefault(str(change.to_status), change.created_at)
    if order.paid_at is not None:
        seen.setdefault("paid", order.paid_at)
    return seen


def order_progress(order: Order, today: date) -> Progress:
    """Steps done up to the furthest one reached; a canceled order stops where it was canceled."""
    seen = _first_times(order)
    if order.payment_status in MONEY_IN or order.payment_status == PaymentStatus.REFUNDED:
        seen.setdefault("paid", order.paid_at or order.created_at)
    reached = max((STEPS.index(key) for key in seen if key in STEPS), default=0)
    canceled = order.status == OrderStatus.CANCELED
    steps: list[Step] = []
    for index, key in enumerate(STEPS):
        done = index <= reached
        if canceled and not done:
            break
        steps.append(Step(key, seen.get(key), done, current=not canceled and index == reached + 1))
    expected = None
    if not canceled and reached < STEPS.index("delivered"):
        shipped = seen.get("shipped")
        start = to_moscow(shipped).date() if shipped is not None else today
        expected = (
            max(start + timedelta(days=order.shipping_min_days), today),
            max(start + timedelta(days=order.shipping_max_days), today),
        )
    cancel_note = ""
    if canceled:
        notes = [
            c.note for c in order.history if c.kind == HistoryKind.FULFILMENT and c.to_status == OrderStatus.CANCELED
        ]
        cancel_note = notes[-1] if notes else ""
    return Progress(steps, order.canceled_at or seen.get("canceled"), cancel_note, expected)
