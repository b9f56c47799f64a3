"""Form fields for values people type, bounded where they enter: calendar days, Moscow times and amounts.

Every date a form takes is a day from ``FIRST_DAY`` to ``LAST_DAY`` (0001-01-01 or 9999-12-31 would overflow when
turned into a Moscow day's UTC bounds), and every amount goes through ``storefront.money.parse_amount``
(«1 000,50», «1000.50»; no «1e3», «1_000», NaN or a third decimal). A bad value is a Russian message on its field.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, StringField

from storefront.money import MoneyError, parse_amount
from storefront.moscow import FIRST_DAY, LAST_DAY

DAY_RANGE_MESSAGE = _l("Choose a date between 2000 and 2100.")


def _first_value(valuelist: list[Any] | None) -> str:
    return str(valuelist[0]).strip() if valuelist and valuelist[0] is not None else ""


class CalendarDayField(DateField):
    """A calendar day (Moscow) as the browser's date input sends it (2026-12-06) or as typed (06.12.2026)."""

    data: Any  # a date, or None when left empty (WTForms is untyped; forms read it after validation)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        raw = _first_value(valuelist)
        if not raw:
            return
        try:
            day = date.fromisoformat(raw) if "-" in raw else datetime.strptime(raw, "%d.%m.%Y").date()  # noqa: DTZ007
        except ValueError:
            raise ValueError(_l("Type a date like 06.12.2026.")) from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(DAY_RANGE_MESSAGE)
        self.data = day


class MoscowDateTimeField(DateTimeLocalField):
    """A Moscow wall-clock time from a ``datetime-local`` input, on a day from 2000 to 2100."""

    data: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_DAY <= self.data.date() <= LAST_DAY:
            self.data = None
            raise ValueError(DAY_RANGE_MESSAGE)


class AmountField(StringField):
    """An amount as Russians type it («1 000,50», «1000.50», no-break spaces between thousands).

    ``data`` is a ``Decimal`` (or None when left empty). ``places`` decimals at most; ``minimum``/``maximum``
    bound it (a negative amount is refused unless ``minimum`` allows it). The message names the example.
    """

    data: Any

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        minimum: Decimal = Decimal(0),
        maximum: Decimal = Decimal("1000000000000"),
        places: int = 2,
        message: Any = None,
        range_message: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum, self.places = minimum, maximum, places
        self.message, self.range_message = message, range_message

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = _first_value(valuelist)
        self.data = None
        if not self.raw:
            return
        try:
            amount = parse_amount(self.raw, places=self.places)
        except MoneyError:
            raise ValueError(
                self.message
                or _l("Type a number like 1 000,50 (at most %(places)s digits after the comma).", places=self.places)
            ) from None
        if not self.minimum <= amount <= self.maximum:
            raise ValueError(
                self.range_message
                or _l("Type a number from %(low)s to %(high)s.", low=_plain(self.minimum), high=_plain(self.maximum))
            )
        self.data = amount

    def _value(self) -> str:
        raw = getattr(self, "raw", None)
        if raw is not None:
            return str(raw)
        return _plain(self.data) if isinstance(self.data, Decimal) else ""


def _plain(amount: Decimal) -> str:
    """«1 000 000,5» for a message or a field's value: spaces between thousands, a decimal comma."""
    text = f"{amount:,f}".replace(",", "\xa0").replace(".", ",")
    return text
