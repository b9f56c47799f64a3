"""The buyer's «Оформить заказ по предложению»: only how to pay is asked (the rest is in the quote)."""

from __future__ import annotations

from flask_wtf import FlaskForm

from storefront.checkout.forms import PaymentMethodMixin


class QuoteAcceptForm(PaymentMethodMixin, FlaskForm):
    pass
