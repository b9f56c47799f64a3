"""Central Bank of Russia daily rates (``XML_daily.asp``): fetch bytes, parse them.

The feed is windows-1251 XML with decimal commas. ``Value`` is roubles per ``Nominal`` units;
``VunitRate`` (newer feeds) is roubles per one unit. Parsing takes bytes so the encoding
declaration is honoured; fetching is kept apart so tests parse committed sample files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

#: Guards against a runaway response; a real daily file is about 10 KB.
MAX_FEED_BYTES = 2_000_000
FETCH_TIMEOUT_SECONDS = 15


class RateFeedError(ValueError):
    """The file is not a usable CBR daily-rates feed; nothing was changed."""


@dataclass(frozen=True)
class RateQuote:
    currency: str
    nominal: int
    value: Decimal
    unit_rate: Decimal
    cbr_id: str | None
    num_code: str | None
    name: str | None


@dataclass(frozen=True)
class RateSheet:
    rate_date: date
    quotes: dict[str, RateQuote]


def _decimal(text: str | None, what: str) -> Decimal:
    if text is None or not text.strip():
        raise RateFeedError(f"{what}: empty value")
    try:
        value = Decimal(text.strip().replace("\xa0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        raise RateFeedError(f"{what}: not a number: {text!r}") from exc
    if not value.is_finite() or value <= 0:
        raise RateFeedError(f"{what}: must be a positive number, got {text!r}")
    return value


def parse_daily(data: bytes) -> RateSheet:
    """Parse ``XML_daily`` bytes. Raises ``RateFeedError`` naming what is wrong."""
    if len(data) > MAX_FEED_BYTES:
        raise RateFeedError("the file is too large to be a daily rates feed")
    try:
        # defusedxml refuses a DTD after the parser has decoded the text, so no encoding (UTF-16, UTF-32 …) hides
        # a <!DOCTYPE> or <!ENTITY> the way it could from a byte search.
        root = safe_fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise RateFeedError("document type declarations are not accepted") from exc
    except ET.ParseError as exc:
        raise RateFeedError(f"not well-formed XML: {exc}") from exc
    if root.tag != "ValCurs":
        raise RateFeedError(f"expected a <ValCurs> document, found <{root.tag}>")
    raw_date = root.get("Date")
    try:
        day, month, year = (raw_date or "").split(".")
        rate_date = date(int(year), int(month), int(day))
        if len(year) != 4:
            raise ValueError(raw_date)
    except ValueError as exc:
        raise RateFeedError(f"ValCurs/@Date must be DD.MM.YYYY, got {raw_date!r}") from exc

    quotes: dict[str, RateQuote] = {}
    for index, valute in enumerate(root.findall("Valute"), start=1):
        code = (valute.findtext("CharCode") or "").strip().upper()
        where = f"Valute #{index} ({code or 'no CharCode'})"
        if len(code) != 3 or not code.isalpha():
            raise RateFeedError(f"{where}: CharCode must be three letters")
        nominal_text = (valute.findtext("Nominal") or "").strip()
        if not nominal_text.isdigit() or int(nominal_text) < 1:
            raise RateFeedError(f"{where}: Nominal must be a positive integer, got {nominal_text!r}")
        nominal = int(nominal_text)
        value = _decimal(valute.findtext("Value"), f"{where} Value")
        unit_text = valute.findtext("VunitRate")
        unit_rate = _decimal(unit_text, f"{where} VunitRate") if unit_text else value / nominal
        quotes[code] = RateQuote(
            currency=code,
            nominal=nominal,
            value=value,
            unit_rate=unit_rate,
            cbr_id=valute.get("ID"),
            num_code=(valute.findtext("NumCode") or "").strip() or None,
            name=(valute.findtext("Name") or "").strip() or None,
        )
    if not quotes:
        raise RateFeedError("the feed lists no currencies")
    return RateSheet(rate_date=rate_date, quotes=quotes)


def fetch_daily(url: str, on_date: date | None = None) -> bytes:
    """Download the daily feed (production only; tests and the demo use stored files)."""
    params = {"date_req": on_date.strftime("%d/%m/%Y")} if on_date else None
    try:
        response = requests.get(url, params=params, timeout=FETCH_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise RateFeedError(f"could not download the CBR feed: {exc}") from exc
    return response.content[: MAX_FEED_BYTES + 1]
