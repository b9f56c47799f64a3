"""What came of delivered messages and the rates every campaign page shows the same way (report, A/B variants,
the cross-campaign overview)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def share(part: int | Decimal, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


@dataclass
class Rates:
    """Messages delivered and what came of them, with the rates every campaign page shows the same way."""

    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0.00")

    @property
    def open_rate(self) -> Decimal | None:
        return share(self.opened, self.delivered)

    @property
    def click_rate(self) -> Decimal | None:
        return share(self.clicked, self.delivered)

    @property
    def revenue_per_message(self) -> Decimal | None:
        if not self.delivered:
            return None
        return (self.revenue / self.delivered).quantize(Decimal("0.01"))
