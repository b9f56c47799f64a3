"""The consent texts buyers agree to. A changed text gets a new version; stored consents keep theirs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from storefront.account.models import ConsentKind

PERSONAL_DATA_VERSION = "pd-2026-11"
MARKETING_VERSION = "mk-2026-11"
TELEGRAM_VERSION = "tg-2026-12"

VERSIONS = {
    ConsentKind.PERSONAL_DATA: PERSONAL_DATA_VERSION,
    ConsentKind.MARKETING: MARKETING_VERSION,
    ConsentKind.TELEGRAM: TELEGRAM_VERSION,
}

PERSONAL_DATA_TEXT = _l(
    "I consent to Mostik processing my personal data (name, email, phone, delivery address, company details) "
    "to create my account, fulfil and deliver my orders, under Federal Law 152-FZ."
)
MARKETING_TEXT = _l(
    "I agree to receive offers and news from Mostik by email and SMS (Federal Law 38-FZ). "
    "I can withdraw this consent at any time in my profile."
)
TELEGRAM_TEXT = _l(
    "I agree to receive offers and news from Mostik in Telegram (Federal Law 38-FZ). "
    "I can stop them at any time with /stop in the bot's chat or in my profile."
)
