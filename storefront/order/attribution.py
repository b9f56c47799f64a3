"""Which marketing campaign an order is credited to — decided by the storefront, knowing nothing of the CRM.

The CRM's click redirect calls ``remember_click``: the campaign id and time go into the buyer's session (key
``last_campaign_click``) and, for a signed-in buyer, onto the account (``Buyer.last_campaign_id``/``_at``).
At placement the order gets a plain ``campaign_id``: the campaign that issued its promo code wins; otherwise
the latest remembered click no older than ``ATTRIBUTION_WINDOW``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from storefront.account.models import Buyer

SESSION_KEY = "last_campaign_click"
ATTRIBUTION_WINDOW = timedelta(days=30)


def remember_click(store: MutableMapping[str, Any], buyer: Buyer | None, campaign_id: int, now: datetime) -> None:
    """Keep the click in ``store`` (the Flask session) and on the buyer's account (caller commits)."""
    store[SESSION_KEY] = [campaign_id, now.timestamp()]
    if buyer is not None:
        buyer.last_campaign_id = campaign_id
        buyer.last_campaign_click_at = now


def click_from_session(store: MutableMapping[str, Any]) -> tuple[int, datetime] | None:
    value = store.get(SESSION_KEY)
    if not isinstance(value, list) or len(value) != 2:
        return None
    campaign_id, timestamp = value
    if not isinstance(campaign_id, int) or not isinstance(timestamp, int | float):
        return None
    return campaign_id, datetime.fromtimestamp(timestamp, UTC)


def attributed_campaign(
    promo_campaign_id: int | None,
    session_click: tuple[int, datetime] | None,
    buyer: Buyer | None,
    now: datetime,
) -> int | None:
    """The campaign credited with an order placed at ``now``."""
    if promo_campaign_id is not None:
        return promo_campaign_id
    clicks = [session_click] if session_click is not None else []
    if buyer is not None and buyer.last_campaign_id is not None and buyer.last_campaign_click_at is not None:
        clicks.append((buyer.last_campaign_id, buyer.last_campaign_click_at))
    recent = [click for click in clicks if now - ATTRIBUTION_WINDOW <= click[1] <= now]
    if not recent:
        return None
    return max(recent, key=lambda click: click[1])[0]
