"""SQL definitions about buyers that the storefront and the CRM share (one definition each)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select

from storefront.account.models import Address, Buyer, Consent, ConsentKind


def marketing_consent_given() -> ColumnElement[bool]:
    """A marketing consent granted and not withdrawn, confirmed or still pending: what an unsubscribe withdraws."""
    return and_(Consent.kind == ConsentKind.MARKETING, Consent.withdrawn_at.is_(None))


def marketing_consent_in_force() -> ColumnElement[bool]:
    """Who may receive marketing mail, as a condition on ``Consent`` rows: a marketing consent granted, confirmed
    from the address (double opt-in, ``storefront.account.opt_in``) and not withdrawn (withdrawing it in the profile
    or unsubscribing from a campaign sets ``withdrawn_at``)."""
    return and_(marketing_consent_given(), Consent.confirmed_at.is_not(None))


def main_address(column: Any) -> Any:
    """``column`` of the buyer's main address — the first saved one (lowest position, then id) — as a scalar
    subquery correlated to ``Buyer`` (NULL: no address)."""
    return (
        select(column)
        .where(Address.buyer_id == Buyer.id)
        .order_by(Address.position, Address.id)
        .limit(1)
        .correlate(Buyer)
        .scalar_subquery()
    )
