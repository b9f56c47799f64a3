"""Marketing campaigns: e-mail to a segment with consent, one-click unsubscribe, tracking, triggers, reports.

``bp`` holds the staff pages under /crm/campaigns; ``public_bp`` holds the buyer-facing links a campaign mail
carries (open pixel, click redirect, unsubscribe) and is registered at the application root by ``crm.init_app``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
public_bp = Blueprint("campaign_links", __name__, url_prefix="/c")

#: Campaign settings read from the environment (name → default); see ``sender_settings.SenderSettings``.
SETTINGS: dict[str, float | int | str] = {
    "CAMPAIGN_SEND_RATE": 10.0,  # messages per second, 0 = unthrottled
    "CAMPAIGN_BATCH_SIZE": 200,  # messages per sender run
    "CAMPAIGN_CLAIM_LEASE_SECONDS": 600,
    "CAMPAIGN_MAX_ATTEMPTS": 3,
    "CAMPAIGN_RETRY_MINUTES": 10,
    "CAMPAIGN_FREQUENCY_CAP": 2,  # marketing mails per buyer …
    "CAMPAIGN_FREQUENCY_DAYS": 7,  # … per this many days
    "CAMPAIGN_QUIET_START_HOUR": 21,  # Moscow time
    "CAMPAIGN_QUIET_END_HOUR": 9,
    "CAMPAIGN_UNSUBSCRIBE_MAILTO": "",
}


def init_app(app: Flask) -> None:
    """Config defaults from the environment (a bad number stops the start with a clear message)."""
    import os

    from storefront.config import ConfigError

    for name, default in SETTINGS.items():
        raw = os.environ.get(name)
        if raw is None or raw == "":
            app.config.setdefault(name, default)
            continue
        try:
            app.config.setdefault(name, type(default)(raw))
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
