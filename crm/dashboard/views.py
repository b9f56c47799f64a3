"""The dashboard page. The charts' data goes into the page as JSON (``|tojson`` in a data script tag); the vendored
Chart.js (static/crm/vendor/chartjs) draws it in ``static/crm/dashboard.js``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _

from crm.dashboard.queries import buyers_per_tier, headline, revenue_by_month, top_buyers
from crm.permissions import requires
from storefront.db import utcnow
from storefront.extensions import db


def _roubles(amount: Decimal) -> int:
    """Whole roubles for a chart axis (the page's tables show exact amounts)."""
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _no_tier() -> str:
    return _("No tier")


@requires("dashboard.view")
def dashboard() -> str:
    now = utcnow()
    revenue = revenue_by_month(db.session(), now)
    per_tier = buyers_per_tier(db.session())
    charts: dict[str, Any] = {
        "revenue": {
            "labels": [format_date(month, "LLL yyyy") for month in revenue.months],
            "series": [
                {
                    "key": series.code or "",
                    "label": series.name or _no_tier(),
                    "data": [_roubles(a) for a in series.amounts],
                }
                for series in revenue.series
            ],
        },
        "tiers": {
            "keys": [row.code or "" for row in per_tier],
            "labels": [row.name or _no_tier() for row in per_tier],
            "data": [row.buyers for row in per_tier],
            "label": _("Buyers"),
        },
    }
    return render_template(
        "crm/dashboard.html",
        headline=headline(db.session(), now),
        revenue=revenue,
        per_tier=per_tier,
        top=top_buyers(db.session(), now),
        charts=charts,
        month_label=format_date(revenue.months[-1], "LLLL yyyy"),
    )
