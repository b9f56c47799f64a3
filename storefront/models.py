"""Every model module, imported once so the metadata (and Alembic) sees all tables."""

from storefront.account.models import Address, Buyer, Consent, Tier
from storefront.cart.models import Cart, CartLine
from storefront.catalog.models import Category, PriceBreak, Product, Supplier
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
from storefront.maillog import SentEmail
from storefront.order.models import Order, OrderLine, OrderStatusChange
from storefront.payment.models import Payment, PaymentNotification, Refund
from storefront.pictures.models import ProductPicture
from storefront.promo.models import PromoCode, PromoUse
from storefront.protection.models import Dispute, DisputeLine, DisputeMessage, DisputePhoto
from storefront.search.models import ProductSearch
from storefront.shipping.models import ShippingMethod, ShippingRate

__all__ = [
    "Address",
    "BatchEvent",
    "Buyer",
    "CargoBatch",
    "CargoLeg",
    "Carrier",
    "Cart",
    "CartLine",
    "Category",
    "Consent",
    "Dispute",
    "DisputeLine",
    "DisputeMessage",
    "DisputePhoto",
    "ExchangeRate",
    "JobRun",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "Payment",
    "PaymentNotification",
    "PriceBreak",
    "PricingPolicy",
    "Product",
    "ProductPicture",
    "ProductSearch",
    "PromoCode",
    "PromoUse",
    "Refund",
    "SentEmail",
    "Shipment",
    "ShipmentLine",
    "ShippingMethod",
    "ShippingRate",
    "Supplier",
    "Tier",
    "TrackingEvent",
]
