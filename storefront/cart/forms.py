"""Cart forms: a quantity is a whole number from 1 to a million; MOQ and stock are the service's."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from storefront.cart.services import MAX_QUANTITY


class QuantityForm(FlaskForm):
    product_id = IntegerField(validators=[InputRequired(message=_l("Choose a product."))])
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(message=_l("Enter the quantity in pieces.")),
            NumberRange(min=1, max=MAX_QUANTITY, message=_l("Enter a whole number of pieces from 1 to 1,000,000.")),
        ],
    )


class RemoveForm(FlaskForm):
    product_id = IntegerField(validators=[InputRequired(message=_l("Choose a product."))])
