"""Erasure of a buyer's personal data (152-FZ art. 21): the person is anonymised, the accounting records stay.

Kept, because Russian tax and accounting law requires them for 5 years (docs/decisions.md): orders with their
lines and amounts, payments, refunds and receipts, and a company buyer's name, INN, KPP, OGRN and legal address on
its orders (the invoices and closing documents name the counterparty). Replaced: the name, e-mail and phone
everywhere, delivery addresses and recipients, IP addresses of consents, the receipts' customer contact, the
e-mail log's address. Deleted: saved addresses and the cart. The account is blocked and its sessions end (no
password hash, inactive); its e-mail becomes ``erased-<id>@erased.invalid``, so the old address may register anew.

Idempotent: the first call claims the buyer with a conditional UPDATE (``erased_at IS NULL``); a repeated or
concurrent call finds it claimed and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, delete, func, select, update
from sqlalchemy.orm import Session

from storefront.account.models import Address, Buyer, Consent
from storefront.cart.models import Cart
from storefront.db import rowcount, utcnow
from storefront.errors import MessageError, NotFound
from storefront.logins.models import LoginKind
from storefront.logins.services import end_sessions
from storefront.maillog import SentEmail
from storefront.order.models import Order, OrderStatus, OrderStatusChange
from storefront.outbox import OutboxMessage
from storefront.payment.models import Payment, PaymentNotification, Refund
from storefront.privacy.parts import ERASED_NAME, Person, PrivacyPart
from storefront.promo.models import PromoUse
from storefront.protection.models import Dispute

#: Orders still in progress (placed, confirmed, packed or on their way): erasing now would lose whom to deliver
#: them to. An unpaid order expires by itself (``holds.payment_hold``) or the buyer cancels it.
OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED)


class ErasureRefused(MessageError):
    """The buyer has orders in progress; the message names them."""


def open_orders(session: Session, buyer_id: int) -> list[str]:
    """Numbers of the buyer's orders still in progress."""
    return list(
        session.scalars(
            select(Order.number).where(Order.buyer_id == buyer_id, Order.status.in_(OPEN_STATUSES)).order_by(Order.id)
        )
    )


def erase_buyer(
    session: Session, buyer_id: int, parts: tuple[PrivacyPart, ...] = (), now: datetime | None = None
) -> bool:
    """Erase the buyer's personal data; True when this call erased them, False when they already were.

    Raises ``NotFound`` for an unknown buyer and ``ErasureRefused`` while an order is in progress. Flushes; the
    caller commits (with its audit entry) — or rolls back, and nothing changed.
    """
    now = now or utcnow()
    buyer = session.get(Buyer, buyer_id)
    if buyer is None:
        raise NotFound(f"buyer {buyer_id}")
    if buyer.erased_at is not None:
        return False
    in_progress = open_orders(session, buyer_id)
    if in_progress:
        raise ErasureRefused(
            _l(
                "Orders %(numbers)s are still in progress. The data can be erased once they are delivered or canceled.",
                numbers=", ".join(number or "—" for number in in_progress),
            )
        )
    person = Person(buyer_id=buyer.id, email=buyer.email, phone=buyer.phone, name=buyer.name)
    claimed = session.execute(
        update(Buyer)
        .where(Buyer.id == buyer_id, Buyer.erased_at.is_(None))
        .values(erased_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        return False  # a concurrent erasure won
    session.refresh(buyer)
    _erase_storefront(session, buyer, person, now)
    for part in parts:
        part.erase(session, person)
    session.flush()
    return True


def _erase_storefront(session: Session, buyer: Buyer, person: Person, now: datetime) -> None:
    buyer.email = person.erased_email
    buyer.name = ERASED_NAME
    buyer.phone = None
    buyer.password_hash = None  # every session and remember cookie carries a digest of it: all end
    buyer.is_active = False
    buyer.company_name = buyer.inn = buyer.kpp = buyer.ogrn = buyer.legal_address = None
    buyer.last_login_at = None
    end_sessions(session, LoginKind.BUYER, buyer.id)  # the rows hold addresses and browsers, and sign-ins
    session.execute(delete(Address).where(Address.buyer_id == buyer.id))
    session.execute(delete(Cart).where(Cart.buyer_id == buyer.id))
    for consent in session.scalars(select(Consent).where(Consent.buyer_id == buyer.id)):
        consent.email = person.erased_email
        consent.ip_address = None
        consent.withdrawn_at = consent.withdrawn_at or now
    order_ids = list(session.scalars(select(Order.id).where(Order.buyer_id == buyer.id)))
    session.execute(
        update(Order)
        .where(Order.buyer_id == buyer.id)
        .values(
            email=person.erased_email,
            phone="",
            contact_name=ERASED_NAME,
            postcode="",
            street="",
            recipient=ERASED_NAME,
            recipient_phone="",
            client_ip=None,
        )
        .execution_options(synchronize_session=False)
    )
    for change in session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id.in_(order_ids))):
        change.note = person.scrub_text(change.note)
    # Disputes stay (they decided refunds); what the buyer wrote in them loses the person.
    for dispute in session.scalars(select(Dispute).where(Dispute.order_id.in_(order_ids))):
        dispute.description = person.scrub_text(dispute.description)
        for message in dispute.messages:
            message.body = person.scrub_text(message.body)
            if message.staff_id is None:
                message.author_name = ERASED_NAME
    payment_ids = []
    for payment in session.scalars(select(Payment).where(Payment.order_id.in_(order_ids))):
        payment.receipt = person.scrub(payment.receipt)
        if payment.yookassa_payment_id:
            payment_ids.append(payment.yookassa_payment_id)
    for refund in session.scalars(select(Refund).where(Refund.order_id.in_(order_ids))):
        refund.receipt = person.scrub(refund.receipt)
    for notification in session.scalars(
        select(PaymentNotification).where(PaymentNotification.object_id.in_(payment_ids))
    ):
        notification.body = person.scrub(notification.body)
    session.execute(
        update(PromoUse)
        .where(PromoUse.holder == f"email:{person.email}")
        .values(holder=f"email:{person.erased_email}")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(SentEmail)
        .where(SentEmail.buyer_id == buyer.id)
        .values(to_address=person.erased_email)
        .execution_options(synchronize_session=False)
    )
    # Copies of e-mails kept for sending: the sent-mail log above keeps the record, the bodies go.
    session.execute(
        delete(OutboxMessage)
        .where(func.lower(OutboxMessage.to_address) == person.email.lower())
        .execution_options(synchronize_session=False)
    )
    # A guest cart's checkout draft typed with this e-mail (the cart outlives the sign-in that made it).
    for cart in session.scalars(select(Cart).where(cast(Cart.checkout_draft, String).contains(person.email))):
        cart.checkout_draft = None
