from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from storefront.fx.cbr import RateFeedError, parse_daily

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "cbr"


def test_parses_the_windows_1251_daily_feed_with_decimal_commas():
    sheet = parse_daily((SAMPLES / "XML_daily_2026-11-25.xml").read_bytes())
    assert sheet.rate_date == date(2026, 11, 25)
    usd = sheet.quotes["USD"]
    assert usd.unit_rate == Decimal("81.4352")
    assert usd.name == "Доллар США"
    assert usd.cbr_id == "R01235"
    assert sheet.quotes["AUD"].num_code == "036"  # kept as a string, leading zero intact


def test_nominal_other_than_one_is_divided_out():
    sheet = parse_daily((SAMPLES / "XML_daily_2026-11-25.xml").read_bytes())
    assert sheet.quotes["JPY"].nominal == 100
    assert sheet.quotes["JPY"].unit_rate == Decimal("0.52614")


def test_without_vunitrate_the_unit_rate_is_value_over_nominal():
    sheet = parse_daily((SAMPLES / "XML_daily_nominal10_no_vunit.xml").read_bytes())
    assert sheet.rate_date == date(2026, 11, 21)
    cny = sheet.quotes["CNY"]
    assert (cny.nominal, cny.value) == (10, Decimal("110.5230"))
    assert cny.unit_rate == Decimal("11.0523")
    assert isinstance(cny.unit_rate, Decimal)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ((SAMPLES / "XML_daily_truncated.xml").read_bytes(), "not well-formed"),
        ((SAMPLES / "XML_daily_bad_number.xml").read_bytes(), "not a number"),
        (b"<html><body>502 Bad Gateway</body></html>", "ValCurs"),
        (b'<ValCurs Date="2026-11-25"></ValCurs>', "DD.MM.YYYY"),
        (b'<ValCurs Date="25.11.2026"></ValCurs>', "no currencies"),
        (b"", "not well-formed"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><ValCurs Date="25.11.2026"/>', "document type"),
        (
            b'<ValCurs Date="25.11.2026"><Valute><CharCode>USD</CharCode><Nominal>0</Nominal>'
            b"<Value>1,0</Value></Valute></ValCurs>",
            "Nominal",
        ),
        (
            b'<ValCurs Date="25.11.2026"><Valute><CharCode>USD</CharCode><Nominal>1</Nominal>'
            b"<Value>-1,0</Value></Valute></ValCurs>",
            "positive",
        ),
    ],
)
def test_malformed_feeds_raise_a_clear_error(data, reason):
    with pytest.raises(RateFeedError, match=reason):
        parse_daily(data)


_BOMB = (
    '<?xml version="1.0" encoding="{encoding}"?>\n'
    '<!DOCTYPE ValCurs [<!ENTITY a "ааааааааааааааааааааааааааааааааааааааааааааааааа">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    '<ValCurs Date="25.11.2026"><Valute><CharCode>USD</CharCode><Nominal>1</Nominal>'
    "<Value>81,4352</Value><Name>&b;</Name></Valute></ValCurs>"
)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8", "windows-1251"])
def test_a_dtd_is_refused_in_any_encoding(encoding):
    """A byte search for «<!DOCTYPE» misses it in UTF-16: the parser itself must forbid DTDs."""
    data = _BOMB.format(encoding=encoding.replace("-le", "").replace("-be", "")).encode(encoding)
    with pytest.raises(RateFeedError, match="document type"):
        parse_daily(data)


def test_a_utf16_feed_without_a_dtd_is_read():
    text = (SAMPLES / "XML_daily_2026-11-25.xml").read_bytes().decode("windows-1251")
    sheet = parse_daily(text.replace('encoding="windows-1251"', 'encoding="utf-16"').encode("utf-16"))
    assert sheet.quotes["USD"].unit_rate == Decimal("81.4352")
