"""Every model module, imported once so the metadata (and Alembic) sees all tables."""

from storefront.account.models import Address, Buyer, Consent, Tier
from storefront.banking.models import BankDocument, BankImport
from storefront.cart.models import Cart, CartLine
from storefront.catalog.models import Category, PriceBreak, Product, Supplier
from storefront.documents.models import DocumentCounter, Upd
from storefront.fulfilment.models import (
    BatchEvent,
    CargoBatch,
    CargoLeg,
    Carrier,
    Shipment,
    ShipmentLine,
    TrackingEvent,
)
from storefront.fx.models import ExchangeRate, PricingPolicy
from storefront.jobs import JobRun
from storefront.legal.models import LegalDocument
from storefront.logins.models import LoginSession
from storefront.maillog import SentEmail
from storefront.order.models import Order, OrderLine, OrderStatusChange
from storefront.outbox import OutboxMessage
from storefront.payment.models import Payment, PaymentNotification, Refund
from storefront.pictures.models import ProductPicture
from storefront.privacy.models import DataRequest
from storefront.promo.models import PromoCode, PromoUse
from storefront.protection.models import Dispute, DisputeLine, DisputeMessage, DisputePhoto
from storefront.quotes.models import Quote, QuoteLine
from storefront.search.models import ProductSearch
from storefront.settlement.models import LedgerEntry, LedgerTransaction, PayoutBatch, PayoutLine
from storefront.shipping.models import ShippingMethod, ShippingRate

__all__ = [
    "Address",
    "BankDocument",
    "BankImport",
    "BatchEvent",
    "Buyer",
    "CargoBatch",
    "CargoLeg",
    "Carrier",
    "Cart",
    "CartLine",
    "Category",
    "DocumentCounter",
    "Consent",
    "DataRequest",
    "Dispute",
    "DisputeLine",
    "DisputeMessage",
    "DisputePhoto",
    "ExchangeRate",
    "JobRun",
    "LegalDocument",
    "LoginSession",
    "LedgerEntry",
    "LedgerTransaction",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "OutboxMessage",
    "Payment",
    "PaymentNotification",
    "PayoutBatch",
    "PayoutLine",
    "PriceBreak",
    "PricingPolicy",
    "Product",
    "ProductPicture",
    "ProductSearch",
    "PromoCode",
    "PromoUse",
    "Quote",
    "QuoteLine",
    "Refund",
    "SentEmail",
    "Shipment",
    "ShipmentLine",
    "ShippingMethod",
    "ShippingRate",
    "Supplier",
    "Tier",
    "TrackingEvent",
    "Upd",
]
