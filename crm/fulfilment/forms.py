"""Staff forms for shipments, events, batches and the tracking CSV. Times are typed in Moscow time."""

from __future__ import annotations

import re
from datetime import datetime

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField, TimeField, ValidationError
from wtforms.validators import InputRequired, Length

from storefront.form_fields import CalendarDayField
from storefront.fulfilment.models import EventKind, LegMode, LegStatus
from storefront.moscow import moscow_to_utc

QUANTITY_FIELD = re.compile(r"^qty-(\d+)$")
MAX_UNITS = 1_000_000


class ShipmentForm(FlaskForm):
    """«Отправить»: carrier, tracking number, day, and ``qty-<order line id>`` inputs (read in ``validate``)."""

    carrier = SelectField(
        _l("Carrier"), coerce=int, validate_choice=False, validators=[InputRequired(message=_l("Choose the carrier."))]
    )
    tracking_number = StringField(
        _l("Tracking number"),
        validators=[InputRequired(message=_l("Enter the tracking number.")), Length(max=64)],
    )
    shipped_on = CalendarDayField(
        _l("Sent on (Moscow)"), validators=[InputRequired(message=_l("Choose the day it left."))]
    )

    #: Order line id → units to send, set by validation.
    quantities: dict[int, int]

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate(extra_validators)
        self.quantities = {}
        self.quantity_errors: list[str] = []
        for name, value in request.form.items():
            match = QUANTITY_FIELD.match(name)
            if not match or not value.strip():
                continue
            text = value.strip()
            if not text.isdigit() or int(text) > MAX_UNITS:
                self.quantity_errors.append(str(_l("A quantity is a whole number of pieces, 0 or more.")))
                continue
            if int(text):
                self.quantities[int(match.group(1))] = int(text)
        if not self.quantities and not self.quantity_errors:
            self.quantity_errors.append(str(_l("Say how many pieces of which line go in this parcel.")))
        return valid and not self.quantity_errors

    @property
    def shipped_at(self) -> datetime:
        """Noon of the chosen Moscow day, as stored (the form asks for the day only)."""
        return moscow_to_utc(datetime.combine(self.shipped_on.data, datetime.min.time()).replace(hour=12))


def _event_choices() -> list[tuple[str, str]]:
    from storefront.fulfilment.web import event_label

    return [(kind.value, event_label(kind)) for kind in EventKind]


class EventForm(FlaskForm):
    """«Добавить событие» on a shipment or on a batch."""

    kind = SelectField(_l("Event"), validators=[InputRequired(message=_l("Choose the event."))])
    occurred_on = CalendarDayField(_l("Date (Moscow)"), validators=[InputRequired(message=_l("Choose the date."))])
    occurred_time = TimeField(_l("Time (Moscow)"), validators=[InputRequired(message=_l("Choose the time."))])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    note = StringField(_l("Note"), validators=[Length(max=500)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = _event_choices()

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in {kind.value for kind in EventKind}:
            raise ValidationError(_l("Choose the event."))

    @property
    def occurred_at(self) -> datetime:
        return moscow_to_utc(datetime.combine(self.occurred_on.data, self.occurred_time.data))


class BatchForm(FlaskForm):
    """A new batch with the first leg of its route (more legs on the batch page)."""

    origin = StringField(
        _l("From"), validators=[InputRequired(message=_l("Where does the leg start?")), Length(max=100)]
    )
    destination = StringField(
        _l("To"), validators=[InputRequired(message=_l("Where does the leg end?")), Length(max=100)]
    )
    mode = SelectField(_l("Transport"), validators=[InputRequired(message=_l("Choose the transport."))])
    note = StringField(_l("Note"), validators=[Length(max=500)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        from storefront.fulfilment.web import leg_mode_label

        super().__init__(*args, **kwargs)
        self.mode.choices = [(mode.value, leg_mode_label(mode)) for mode in LegMode]


class RemoveShipmentForm(FlaskForm):
    shipment_id = IntegerField(validators=[InputRequired(message=_l("Choose the shipment."))])


class LegForm(FlaskForm):
    origin = StringField(
        _l("From"), validators=[InputRequired(message=_l("Where does the leg start?")), Length(max=100)]
    )
    destination = StringField(
        _l("To"), validators=[InputRequired(message=_l("Where does the leg end?")), Length(max=100)]
    )
    mode = SelectField(_l("Transport"), validators=[InputRequired(message=_l("Choose the transport."))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        from storefront.fulfilment.web import leg_mode_label

        super().__init__(*args, **kwargs)
        self.mode.choices = [(mode.value, leg_mode_label(mode)) for mode in LegMode]


class LegStatusForm(FlaskForm):
    status = SelectField(_l("Leg status"), validators=[InputRequired(message=_l("Choose the status."))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        from storefront.fulfilment.web import leg_status_label

        super().__init__(*args, **kwargs)
        self.status.choices = [(status.value, leg_status_label(status)) for status in LegStatus]


class BatchShipmentsForm(FlaskForm):
    numbers = TextAreaField(
        _l("Tracking or order numbers"),
        validators=[InputRequired(message=_l("Enter tracking or order numbers.")), Length(max=20000)],
    )


class TrackingImportForm(FlaskForm):
    file = FileField(_l("CSV file from the consolidator"), validators=[FileRequired(message=_l("Choose a file."))])
