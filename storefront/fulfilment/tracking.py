"""Tracking numbers and carrier links: the number as typed → its stored form, whether it fits the carrier's
format (a pattern in the carrier's row: Почта России 14 digits or the S10 form RA123456789CN), and the link where
the buyer follows the parcel (a template in the carrier's row; «/…» is our own tracking page)."""

from __future__ import annotations

import re
from urllib.parse import quote

from storefront.fulfilment.models import Carrier

#: Any carrier without a known format: letters, digits and dashes.
ANY_NUMBER = r"[A-Z0-9][A-Z0-9-]{2,63}"


def normalise_number(text: str) -> str:
    """«ra 1234 5678 9cn» → «RA123456789CN»: spaces dropped, letters upper case."""
    return re.sub(r"\s+", "", text or "").upper()


def number_fits(carrier: Carrier, number: str) -> bool:
    """Whether a (normalised) tracking number has the carrier's format, or a plausible one if none is known."""
    return re.fullmatch(carrier.number_pattern or ANY_NUMBER, number) is not None


def tracking_url(carrier: Carrier, number: str, site_url: str = "") -> str | None:
    """The carrier's tracking page for ``number``; our own page is prefixed with ``site_url`` (for e-mails)."""
    if not carrier.link_template:
        return None
    link = carrier.link_template.replace("{number}", quote(number, safe=""))
    return site_url.rstrip("/") + link if link.startswith("/") else link
