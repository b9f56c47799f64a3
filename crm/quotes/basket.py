"""The buyer's usual basket: what a prepared reorder drafts.

The products the buyer ordered repeatedly (in two or more paid orders, as ``crm.reorder`` counts paid orders), each
at the quantity of their latest paid order; a buyer with one paid order repeats that order. Most often ordered
first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.reorder.queries import paid_order_lines
from storefront.order.models import OrderLine


@dataclass(frozen=True)
class BasketLine:
    product_id: int
    title: str
    quantity: int
    #: Paid orders that held the product.
    orders: int


def usual_basket(session: Session, buyer_id: int) -> list[BasketLine]:
    paid = paid_order_lines(buyer_id).where(OrderLine.product_id.is_not(None)).subquery()
    counts = session.execute(
        select(paid.c.product_id, func.count(func.distinct(paid.c.order_id)), func.max(paid.c.order_id)).group_by(
            paid.c.product_id
        )
    ).all()
    if not counts:
        return []
    repeated = [row for row in counts if row[1] >= 2]
    if not repeated:  # one paid order (or nothing repeated yet): the latest order is the usual basket
        latest = max(row[2] for row in counts)
        repeated = [row for row in counts if row[2] == latest]
    last_order = {row[0]: row[2] for row in repeated}
    latest_lines = session.execute(
        select(paid.c.product_id, paid.c.order_id, paid.c.quantity, paid.c.title).where(
            paid.c.product_id.in_(list(last_order))
        )
    ).all()
    quantity: dict[int, int] = {}
    title: dict[int, str] = {}
    for product_id, order_id, line_quantity, line_title in latest_lines:
        if order_id == last_order[product_id]:  # an order may hold a product on two lines: add them up
            quantity[product_id] = quantity.get(product_id, 0) + line_quantity
            title[product_id] = line_title
    ordered = sorted(repeated, key=lambda row: (-row[1], row[0]))
    return [BasketLine(row[0], title[row[0]], quantity[row[0]], row[1]) for row in ordered]
