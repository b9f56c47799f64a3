"""Writes on the CRM's per-buyer row: the row itself when missing, account-manager assignment."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.staff.queries import is_active_account_manager
from storefront.account.models import Buyer
from storefront.errors import ShopError


def profile_for(session: Session, buyer_id: int) -> BuyerProfile:
    """The buyer's CRM row, added to the session when the CRM has not written one yet."""
    profile = session.get(BuyerProfile, buyer_id)
    if profile is None:
        profile = BuyerProfile(buyer_id=buyer_id)
        session.add(profile)
    return profile


def assign_managers(session: Session, buyer_ids: list[int], manager_id: int | None) -> int:
    """Assign (or, with None, unassign) an account manager to existing buyers; returns how many were touched."""
    if manager_id is not None and not is_active_account_manager(session, manager_id):
        raise AssignmentError("not an active account manager")
    existing = list(session.scalars(select(Buyer.id).where(Buyer.id.in_(set(buyer_ids)))))
    for buyer_id in existing:
        profile_for(session, buyer_id).manager_id = manager_id
    session.flush()
    return len(existing)


def set_messengers(session: Session, buyer: Buyer, telegram: str | None, whatsapp: str | None) -> bool:
    """Store the buyer's Telegram username and WhatsApp number (already normalised; empty clears); True when
    anything changed."""
    telegram, whatsapp = telegram or None, whatsapp or None
    if (buyer.telegram, buyer.whatsapp) == (telegram, whatsapp):
        return False
    buyer.telegram, buyer.whatsapp = telegram, whatsapp
    session.flush()
    return True


class AssignmentError(ShopError):
    pass
