"""The campaign sender's settings, read from the app config by the entry points (views, CLI, jobs) and passed
to composing, sending and the triggers as a value. The names and defaults are declared in ``storefront.config``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storefront.mail import MailSettings


@dataclass(frozen=True)
class SenderSettings:
    mail: MailSettings
    secret_key: str
    base_url: str
    unsubscribe_mailto: str | None
    #: Messages per second over all campaigns (0: as fast as the SMTP server takes them).
    rate_per_second: float
    batch_size: int
    lease_seconds: int
    max_attempts: int
    retry_minutes: int
    #: At most ``cap_messages`` marketing mails per buyer in ``cap_days`` days, across all campaigns.
    cap_messages: int
    cap_days: int
    #: Quiet hours in Moscow time for trigger mail: [start, end) hours, deferred to ``end``.
    quiet_start_hour: int
    quiet_end_hour: int

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SenderSettings:
        return cls(
            mail=MailSettings.from_config(config),
            secret_key=str(config["SECRET_KEY"]),
            base_url=str(config["PUBLIC_BASE_URL"]).rstrip("/"),
            unsubscribe_mailto=config["CAMPAIGN_UNSUBSCRIBE_MAILTO"] or None,
            rate_per_second=float(config["CAMPAIGN_SEND_RATE"]),
            batch_size=int(config["CAMPAIGN_BATCH_SIZE"]),
            lease_seconds=int(config["CAMPAIGN_CLAIM_LEASE_SECONDS"]),
            max_attempts=int(config["CAMPAIGN_MAX_ATTEMPTS"]),
            retry_minutes=int(config["CAMPAIGN_RETRY_MINUTES"]),
            cap_messages=int(config["CAMPAIGN_FREQUENCY_CAP"]),
            cap_days=int(config["CAMPAIGN_FREQUENCY_DAYS"]),
            quiet_start_hour=int(config["CAMPAIGN_QUIET_START_HOUR"]),
            quiet_end_hour=int(config["CAMPAIGN_QUIET_END_HOUR"]),
        )
