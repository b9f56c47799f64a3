"""Money: ``Decimal`` in Python, integer minor units (kopecks, cents, fen) in the database.

Every rounding rule for money lives here, so prices, totals and reports agree to the kopeck.
Floats are refused outright: ``Decimal(0.1)`` is not 0.10.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

KOPECK = Decimal("0.01")
RUB = "RUB"
#: Currencies a price may be quoted in. Suppliers quote USD or CNY; RUB is for our own prices.
CURRENCIES = ("RUB", "USD", "CNY")
#: Rates and multipliers are kept as integers scaled by this, so SQL can apply them exactly.
RATE_SCALE = 10**6
RATE_PLACES = Decimal("0.000001")


class MoneyError(ValueError):
    """A value that cannot be an amount of money."""


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a finite Decimal; refuse floats, NaN and infinity."""
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError(f"money must not be a float or bool: {value!r}")
    try:
        result = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MoneyError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    return result


def quantize_kopecks(value: Decimal | int | str) -> Decimal:
    """Round to kopecks, half up (Python's ``round`` and Babel round half-even)."""
    return to_decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def to_minor(value: Decimal | int | str) -> int:
    """Amount → integer minor units (kopecks), rounded half up."""
    return int(quantize_kopecks(value) * 100)


def from_minor(minor: int) -> Decimal:
    """Integer minor units → Decimal amount with two places."""
    return (Decimal(int(minor)) / 100).quantize(KOPECK)


#: Spaces people and spreadsheets put between thousands: space, no-break space, narrow no-break and thin space.
_THOUSANDS = str.maketrans("", "", " \xa0\u202f\u2009")
#: What is left once the thousands spaces are gone: ASCII digits, one decimal comma or point, maybe a minus.
#: No exponent («1e3»), underscore («1_000»), plus sign, NaN or Infinity, which ``Decimal`` would all accept.
_AMOUNT = re.compile(r"-?[0-9]{1,15}(?:[.,][0-9]{1,12})?")


def parse_amount(text: str, places: int | None = None) -> Decimal:
    """Parse an amount typed by a person or found in a feed: '1 234,50', '1234.5', '1\xa0234'.

    The one parser for amounts typed in: ``places`` refuses more decimals than that (2 for roubles). Raises
    ``MoneyError``; a negative value is returned as such, so the caller decides whether it is allowed.
    """
    if not isinstance(text, str):
        raise MoneyError(f"not an amount: {text!r}")
    cleaned = text.strip().translate(_THOUSANDS)
    if not _AMOUNT.fullmatch(cleaned):
        raise MoneyError(f"not an amount: {text!r}")
    cleaned = cleaned.replace(",", ".")
    if places is not None and len(cleaned.partition(".")[2]) > places:
        raise MoneyError(f"more than {places} decimal places: {text!r}")
    return Decimal(cleaned)


def scale_rate(rate: Decimal) -> int:
    """A rate or multiplier as an integer scaled by ``RATE_SCALE`` (6 places, half up)."""
    return int(to_decimal(rate).quantize(RATE_PLACES, rounding=ROUND_HALF_UP) * RATE_SCALE)


def convert_minor(source_minor: int, factor_scaled: int, step_minor: int = 1) -> int:
    """Convert minor units of a source currency to kopecks.

    ``factor_scaled`` is rate × (1 + markup) scaled by ``RATE_SCALE``; the result is rounded half
    up to a multiple of ``step_minor`` (1 = kopeck, 100 = whole rouble). The same integer formula
    runs in SQL for the set-based recompute (``storefront.fx.services``), so both agree exactly.
    Only non-negative amounts are priced, where integer division truncation equals floor.
    """
    if source_minor < 0:
        raise MoneyError("prices are never negative")
    divisor = RATE_SCALE * step_minor
    return (source_minor * factor_scaled + divisor // 2) // divisor * step_minor


def share_minor(amount: int, numerator: int, denominator: int) -> int:
    """``amount × numerator / denominator`` in whole minor units, rounded half up (all three ≥ 0, denominator > 0)."""
    if amount < 0 or numerator < 0 or denominator <= 0:
        raise MoneyError("a share is taken of amounts ≥ 0 by a positive denominator")
    return (2 * amount * numerator + denominator) // (2 * denominator)


def allocate_minor(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` minor units over ``weights`` in proportion, to the unit (the largest-remainder method).

    Every part first gets ``floor(total × weight / Σ weights)``; the units left (fewer than there are parts) go
    one each to the parts with the largest remainders, ties to the earlier part. The parts always sum to
    ``total``; a zero weight gets nothing. ``total`` ≥ 0, weights ≥ 0; when every weight is zero the first part
    takes it all (there is nothing to be proportional to).
    """
    if total < 0 or any(weight < 0 for weight in weights) or not weights:
        raise MoneyError("allocate a non-negative total over non-negative weights")
    whole = sum(weights)
    if whole == 0:
        return [total] + [0] * (len(weights) - 1)
    parts = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    left = total - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return parts
