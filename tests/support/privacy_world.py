"""Two buyers with something of everything we hold (account, addresses, consents with IPs, orders with lines,
payments with receipts, a refund, a shipment, a cart with a checkout draft, a promo use, campaign mail, an
unsubscribe, notes, tasks, the e-mail log, a payment notification, an audit entry), for the export and erasure
tests. Every personal value of the one to erase is unusual enough to be found by a text scan of every table."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.campaigns.models import CampaignRecipient, RecipientStatus, Unsubscribe
from crm.staff.models import Role
from crm.workspace.services import add_note, open_task
from storefront.account.models import Address, Buyer
from storefront.cart.models import Cart, CartLine
from storefront.catalog.models import Product
from storefront.db import utcnow
from storefront.fulfilment.models import Carrier, Shipment, TrackingEvent
from storefront.fulfilment.services import seed_carriers
from storefront.maillog import SentEmail
from storefront.order.models import Order, OrderLine, OrderStatus
from storefront.outbox import add_message
from storefront.payment.models import Payment, PaymentNotification, Refund
from storefront.promo.models import PromoCode, PromoKind, PromoUse
from storefront.protection.models import Dispute, DisputeMessage
from tests.support import factories

ERASE_EMAIL = "evlampiy.stiraemyi@example.ru"
ERASE_PHONE = "+79035550101"
ERASE_NAME = "Евлампий Стираемый"
ERASE_IP = "203.0.113.77"
KEEP_EMAIL = "ostaetsya.zdes@example.ru"
KEEP_PHONE = "+79035550202"
KEEP_NAME = "Остап Остающийся"
PASSWORD = "correct horse battery"


@dataclass
class PrivacyWorld:
    erase_id: int
    keep_id: int
    erase_order: str
    keep_order: str
    erase_total: Decimal
    admin_email: str


def _buyer_with_everything(
    session: Session, email: str, phone: str, name: str, total: str, campaign_id: int, staff_id: int, ip: str
) -> tuple[Buyer, Order]:
    product = session.get(Product, session.info["privacy_product_id"])
    buyer = factories.create_buyer(session, email=email, phone=phone, name=name, company=True)
    buyer.company_name = "ООО «Северный ветер»"
    buyer.consents[0].ip_address = ip
    session.add(
        Address(
            buyer_id=buyer.id,
            region_code="78",
            city="Санкт-Петербург",
            postcode="190000",
            street=f"ул. Стираемая, д. 7, кв. {len(name)}",
            recipient=name,
            phone=phone,
        )
    )
    order = factories.order_row(buyer.id, OrderStatus.COMPLETED, Decimal(total), utcnow())
    order.email, order.phone, order.contact_name = email, phone, name
    order.recipient, order.recipient_phone = name, phone
    order.street = "ул. Стираемая, д. 7"
    order.client_ip = ip
    order.buyer_kind, order.company_name, order.inn, order.kpp = "company", buyer.company_name, buyer.inn, buyer.kpp
    session.add(order)
    session.flush()
    order.number = f"MK-2026-{order.id:06d}"
    session.add(
        OrderLine(
            order_id=order.id,
            product_id=product.id,
            supplier_id=product.supplier_id,
            sku=product.sku,
            title=product.title,
            quantity=2,
            unit_price=Decimal(total) / 2,
            line_amount=Decimal(total),
            commission_bp=500,
        )
    )
    yookassa_id = f"yk-{secrets.token_hex(6)}"
    receipt = {"customer": {"email": email, "phone": phone.lstrip("+")}, "items": []}
    payment = Payment(
        order_id=order.id,
        idempotence_key=secrets.token_hex(16),
        yookassa_payment_id=yookassa_id,
        status="succeeded",
        amount=Decimal(total),
        description=f"Заказ {order.number}",
        return_url="http://127.0.0.1/",
        receipt=receipt,
        succeeded_at=utcnow(),
    )
    session.add(payment)
    session.flush()
    session.add(
        Refund(
            payment_id=payment.id,
            order_id=order.id,
            idempotence_key=secrets.token_hex(16),
            status="succeeded",
            amount=Decimal("10.00"),
            receipt=receipt,
        )
    )
    session.add(
        PaymentNotification(
            event="payment.succeeded",
            object_id=yookassa_id,
            object_status="succeeded",
            source_ip="185.71.76.1",
            body={"object": {"id": yookassa_id, "receipt": receipt, "metadata": {"email": email}}},
        )
    )
    seed_carriers(session)
    carrier = session.query(Carrier).filter_by(code="cdek").one()
    shipment = Shipment(order_id=order.id, carrier_id=carrier.id, tracking_number=f"TR{order.id}", shipped_at=utcnow())
    session.add(shipment)
    session.flush()
    session.add(TrackingEvent(shipment_id=shipment.id, kind="last_mile", occurred_at=utcnow(), place="Санкт-Петербург"))
    cart = Cart(token=secrets.token_hex(16), buyer_id=buyer.id, checkout_draft={"email": email, "name": name})
    session.add(cart)
    session.flush()
    session.add(CartLine(cart_id=cart.id, product_id=product.id, quantity=3))
    promo = session.query(PromoCode).filter_by(code="PRIVACY5").one()
    session.add(PromoUse(promo_id=promo.id, order_id=order.id, buyer_id=buyer.id, holder=f"email:{email}"))
    recipient = CampaignRecipient(
        campaign_id=campaign_id,
        buyer_id=buyer.id,
        email=email,
        status=RecipientStatus.SENT,
        sent_at=utcnow(),
        first_opened_at=utcnow(),
        open_count=2,
        first_clicked_at=utcnow(),
        click_count=1,
        last_error=f"450 temporary failure for <{email}>",
    )
    session.add(recipient)
    session.flush()
    session.add(
        Unsubscribe(buyer_id=buyer.id, campaign_id=campaign_id, recipient_id=recipient.id, method="page", ip_address=ip)
    )
    add_note(session, buyer_id=buyer.id, author_id=staff_id, body=f"{name} просит звонить на {phone}")
    open_task(session, buyer_id=buyer.id, title=f"Позвонить: {name}", due_at=utcnow(), assignee_id=None)
    session.add(SentEmail(buyer_id=buyer.id, to_address=email, kind="order_placed", subject=f"Заказ {order.number}"))
    dispute = Dispute(
        order_id=order.id,
        kind="quality",
        reason="defect",
        description=f"Пишет {name}, телефон {phone}: треснул корпус",
        opened_at=utcnow(),
        answer_due_at=utcnow(),
    )
    dispute.messages.append(DisputeMessage(author_name=name, body=f"{name}: звоните на {phone}", created_at=utcnow()))
    session.add(dispute)
    add_message(session, "order_placed", email, f"Заказ {order.number}", f"{buyer.name}, спасибо за заказ", None)
    session.flush()
    return buyer, order


def build(session: Session) -> PrivacyWorld:
    product = factories.create_shop(session)
    session.info["privacy_product_id"] = product.id
    session.add(PromoCode(code="PRIVACY5", kind=PromoKind.PERCENT, percent_bp=500))
    admin = factories.make_staff(session, Role.ADMIN)
    campaign = factories.create_campaign(session)
    session.flush()
    erase, erase_order = _buyer_with_everything(
        session, ERASE_EMAIL, ERASE_PHONE, ERASE_NAME, "12345.67", campaign.id, admin.id, ERASE_IP
    )
    keep, keep_order = _buyer_with_everything(
        session, KEEP_EMAIL, KEEP_PHONE, KEEP_NAME, "5000.00", campaign.id, admin.id, "198.51.100.9"
    )
    record(session, admin, AuditAction.TIER_CHANGE, "buyer", erase.id, "127.0.0.1", f"по просьбе {ERASE_EMAIL}")
    session.commit()
    return PrivacyWorld(
        erase_id=erase.id,
        keep_id=keep.id,
        erase_order=erase_order.number or "",
        keep_order=keep_order.number or "",
        erase_total=erase_order.total_amount,
        admin_email=admin.email,
    )
