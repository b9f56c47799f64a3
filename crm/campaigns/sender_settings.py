"""The campaign sender's settings, read from the app config by the entry points (views, CLI, jobs) and passed
to composing, sending and the triggers as a value. The names and defaults are declared in ``crm.campaigns``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storefront.mail import MailSettings


@dataclass(frozen=True)
class SenderSettings:
    mail: MailSettings
    secret_key: str
    base_url: str
    unsubscribe_mailto: str | None = None
    #: Messages per second over all campaigns (0: as fast as the SMTP server takes them).
    rate_per_second: float = 10.0
    batch_size: int = 200
    lease_seconds: int = 600
    max_attempts: int = 3
    retry_minutes: int = 10
    #: At most ``cap_messages`` marketing mails per buyer in ``cap_days`` days, across all campaigns.
    cap_messages: int = 2
    cap_days: int = 7
    #: Quiet hours in Moscow time for trigger mail: [start, end) hours, deferred to ``end``.
    quiet_start_hour: int = 21
    quiet_end_hour: int = 9

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SenderSettings:
        return cls(
            mail=MailSettings.from_config(config),
            secret_key=str(config["SECRET_KEY"]),
            base_url=str(config["PUBLIC_BASE_URL"]).rstrip("/"),
            unsubscribe_mailto=config.get("CAMPAIGN_UNSUBSCRIBE_MAILTO") or None,
            rate_per_second=float(config.get("CAMPAIGN_SEND_RATE", 10)),
            batch_size=int(config.get("CAMPAIGN_BATCH_SIZE", 200)),
            lease_seconds=int(config.get("CAMPAIGN_CLAIM_LEASE_SECONDS", 600)),
            max_attempts=int(config.get("CAMPAIGN_MAX_ATTEMPTS", 3)),
            retry_minutes=int(config.get("CAMPAIGN_RETRY_MINUTES", 10)),
            cap_messages=int(config.get("CAMPAIGN_FREQUENCY_CAP", 2)),
            cap_days=int(config.get("CAMPAIGN_FREQUENCY_DAYS", 7)),
            quiet_start_hour=int(config.get("CAMPAIGN_QUIET_START_HOUR", 21)),
            quiet_end_hour=int(config.get("CAMPAIGN_QUIET_END_HOUR", 9)),
        )
