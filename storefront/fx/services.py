"""Rates in, rouble prices out: store CBR rates, read the current pricing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.fx.cbr import RateSheet
from storefront.fx.models import ExchangeRate, PriceRounding, PricingPolicy
from storefront.money import CURRENCIES, RUB, convert_minor, from_minor, scale_rate, to_minor


class MissingRate(LookupError):
    """No exchange rate is loaded for a currency a product is priced in."""


@dataclass(frozen=True)
class Pricing:
    """Everything needed to turn a supplier price into a shown rouble price."""

    rates: dict[str, Decimal]
    markup_bp: int
    rounding: PriceRounding

    def factor_scaled(self, currency: str) -> int:
        """rate × (1 + markup) as an integer scaled by RATE_SCALE (the SQL recompute uses it too)."""
        if currency not in self.rates:
            raise MissingRate(currency)
        return scale_rate(self.rates[currency] * (Decimal(10000 + self.markup_bp) / 10000))

    def to_rub(self, amount: Decimal, currency: str) -> Decimal:
        """The rouble price shown for ``amount`` in ``currency``, rounded by the policy."""
        minor = convert_minor(to_minor(amount), self.factor_scaled(currency), self.rounding.step_minor)
        return from_minor(minor)


def get_pricing_policy(session: Session) -> PricingPolicy:
    """The pricing policy row, created with defaults on first use."""
    policy = session.scalars(select(PricingPolicy).order_by(PricingPolicy.id).limit(1)).first()
    if policy is None:
        policy = PricingPolicy(markup_bp=1500, rounding=PriceRounding.ROUBLE)
        session.add(policy)
        session.flush()
    return policy


def latest_rates(session: Session) -> dict[str, Decimal]:
    """The most recent CBR rate per currency, plus RUB = 1."""
    newest = (
        select(ExchangeRate.currency, func.max(ExchangeRate.rate_date).label("rate_date"))
        .group_by(ExchangeRate.currency)
        .subquery()
    )
    rows = session.execute(
        select(ExchangeRate.currency, ExchangeRate.rate).join(
            newest,
            (ExchangeRate.currency == newest.c.currency) & (ExchangeRate.rate_date == newest.c.rate_date),
        )
    )
    rates = {currency: rate for currency, rate in rows}
    rates[RUB] = Decimal(1)
    return rates


def newest_rate_date(session: Session) -> date | None:
    """The date of the newest stored rates (the ones prices use), or None before the first load."""
    return session.scalar(select(func.max(ExchangeRate.rate_date)))


def current_pricing(session: Session) -> Pricing:
    policy = get_pricing_policy(session)
    return Pricing(rates=latest_rates(session), markup_bp=policy.markup_bp, rounding=PriceRounding(policy.rounding))


def store_rates(session: Session, sheet: RateSheet, source: str) -> int:
    """Save the rates of the currencies we price in; re-loading the same day updates in place.

    Returns how many rates were stored. Flushes; the caller commits (together with the
    rouble-price recompute, so listings never show prices from a half-applied update).
    """
    stored = 0
    for currency in CURRENCIES:
        quote = sheet.quotes.get(currency)
        if quote is None:
            continue
        existing = session.scalars(
            select(ExchangeRate).where(ExchangeRate.currency == currency, ExchangeRate.rate_date == sheet.rate_date)
        ).first()
        if existing is None:
            existing = ExchangeRate(currency=currency, rate_date=sheet.rate_date)
            session.add(existing)
        existing.rate = quote.unit_rate
        existing.nominal = quote.nominal
        existing.cbr_id = quote.cbr_id
        existing.source = source[:255]
        stored += 1
    session.flush()
    return stored


def update_pricing_policy(session: Session, markup_percent: Decimal, rounding: PriceRounding) -> PricingPolicy:
    """Change the markup and rounding; the caller recomputes rouble prices and commits."""
    if markup_percent < 0 or markup_percent > 1000:
        raise ValueError("markup must be between 0 and 1000 percent")
    policy = get_pricing_policy(session)
    policy.markup_bp = int((markup_percent * 100).to_integral_value())
    policy.rounding = rounding
    session.flush()
    return policy
