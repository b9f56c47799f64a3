"""The invoice («счёт на оплату») of a company's order: what it says, in HTML and as a PDF, with the payment QR code.

One ``Invoice`` value feeds the page (``order/invoice.html``) and the PDF (``invoice_pdf``), so both say the same:
the seller's full requisites (``storefront.seller``), the buyer's, the lines and the order's totals with VAT as
``storefront.order.totals`` computed them, the payment purpose, the due date, and the QR code
(``storefront.paperwork.payment_qr``). An invoice asks for payment (purpose, due date, QR) only while the order
awaits a bank transfer and our bank requisites are configured; a paid order's invoice says «Оплачен …», a canceled
one that it is not to be paid. Called from views (it translates and formats with the request's locale).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from storefront.i18n import format_percent, format_rub
from storefront.money import to_minor
from storefront.moscow import to_moscow
from storefront.order.models import MONEY_IN, Order, OrderStatus, PaymentStatus
from storefront.order.totals import VAT_RATE_BP
from storefront.paperwork.payment_qr import PaymentFields, payment_payload, qr_png
from storefront.paperwork.pdf import Column, DocumentPdf
from storefront.paperwork.words import roubles_in_words
from storefront.seller import Seller


def payment_due_date(order: Order) -> date | None:
    """The last (Moscow) day to pay a bank-transfer order still awaiting payment; None for any other order."""
    if not (order.by_invoice and order.awaiting_payment and order.expires_at is not None):
        return None
    return (to_moscow(order.expires_at) - timedelta(microseconds=1)).date()


def vat_rate_text() -> str:
    """«22 %»: the rate ``storefront.order.totals`` applies."""
    return format_percent(Decimal(VAT_RATE_BP) / 100)


def payment_purpose(order: Order) -> str:
    """«Оплата по счёту № MK-2026-000042 от 06.12.2026 за товары, в т.ч. НДС 22 % 12 345,67 ₽»."""
    return _(
        "Payment for invoice No. %(number)s of %(date)s for goods, including VAT %(rate)s %(vat)s",
        number=order.number,
        date=to_moscow(order.created_at).strftime("%d.%m.%Y"),
        rate=vat_rate_text(),
        vat=format_rub(order.vat_amount),
    )


@dataclass(frozen=True)
class Invoice:
    order: Order
    seller: Seller
    issued_on: date
    #: «due»: awaiting a bank transfer; «paid»; «canceled»; «open»: awaiting an online payment.
    state: str
    due_on: date | None
    purpose: str
    #: The ГОСТ Р 56042-2014 payload, only while the invoice asks for a bank transfer.
    qr_payload: str | None
    #: «Тридцать семь тысяч … рублей 00 копеек»: the total in words, as Russian invoices write it.
    total_in_words: str = ""

    @property
    def asks_for_payment(self) -> bool:
        return self.qr_payload is not None


def invoice_state(order: Order) -> str:
    if order.paid_at is not None and (
        order.payment_status in MONEY_IN or order.payment_status == PaymentStatus.REFUNDED
    ):
        return "paid"
    if order.status == OrderStatus.CANCELED:
        return "canceled"
    if order.awaiting_payment and order.by_invoice:
        return "due"
    return "open"


def build_invoice(order: Order, seller: Seller) -> Invoice:
    state = invoice_state(order)
    purpose = payment_purpose(order)
    payload = None
    if state == "due" and seller.bank is not None:
        payload = payment_payload(
            PaymentFields(
                name=seller.name,
                personal_acc=seller.bank.settlement_account,
                bank_name=seller.bank.bank_name,
                bic=seller.bank.bik,
                corresp_acc=seller.bank.correspondent_account,
                payee_inn=seller.inn,
                kpp=seller.kpp,
                purpose=purpose,
                sum_kopecks=to_minor(order.total_amount),
            )
        )
    return Invoice(
        order=order,
        seller=seller,
        issued_on=to_moscow(order.created_at).date(),
        state=state,
        due_on=payment_due_date(order) if state == "due" else None,
        purpose=purpose,
        qr_payload=payload,
        total_in_words=roubles_in_words(order.total_amount),
    )


def invoice_qr_png(invoice: Invoice, *, scale: int = 5) -> bytes | None:
    return qr_png(invoice.qr_payload, scale=scale) if invoice.qr_payload is not None else None


def invoice_title(order: Order) -> str:
    return _(
        "Invoice No. %(number)s of %(date)s",
        number=order.number,
        date=format_date(to_moscow(order.created_at).date(), "long"),
    )


def _paid_text(paid_at: datetime) -> str:
    return _("Paid %(when)s (Moscow time).", when=format_datetime(paid_at, "short"))


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF: the same words and figures as the page."""
    order, seller = invoice.order, invoice.seller
    document = DocumentPdf(invoice_title(order), author=seller.name)
    if seller.bank is not None:
        document.text(_("Payee's bank details"), bold=True)
        document.fields(
            [
                (_("Payee"), seller.name),
                (_("INN / KPP"), f"{seller.inn} / {seller.kpp}"),
                (_("Payee's bank"), seller.bank.bank_name),
                (_("BIK"), seller.bank.bik),
                (_("Settlement account"), seller.bank.settlement_account),
                (_("Correspondent account"), seller.bank.correspondent_account),
            ]
        )
        document.space(2)
    document.heading(invoice_title(order))
    supplier = ", ".join(
        [
            seller.name,
            _("INN %(inn)s", inn=seller.inn),
            _("KPP %(kpp)s", kpp=seller.kpp),
            seller.address,
        ]
    )
    buyer_parts = [order.company_name or "", _("INN %(inn)s", inn=order.inn)]
    if order.kpp:
        buyer_parts.append(_("KPP %(kpp)s", kpp=order.kpp))
    if order.legal_address:
        buyer_parts.append(order.legal_address)
    document.fields([(_("Supplier"), supplier), (_("Buyer"), ", ".join(buyer_parts))], label_share=0.18)
    document.space(2)
    rows = [
        [
            str(index),
            line.title,
            str(line.quantity),
            _("pcs"),
            format_rub(line.unit_price),
            format_rub(line.line_amount),
        ]
        for index, line in enumerate(order.lines, start=1)
    ]
    document.table(
        [
            Column(_("No."), 0.5, "RIGHT"),
            Column(_("Product"), 6),
            Column(_("Qty"), 1, "RIGHT"),
            Column(_("Unit"), 0.8),
            Column(_("Price"), 1.8, "RIGHT"),
            Column(_("Amount"), 2, "RIGHT"),
        ],
        rows,
    )
    document.space(2)
    totals = [(_("Goods"), format_rub(order.subtotal_amount))]
    if order.tier_discount_amount:
        totals.append((_("Level discount"), "−" + format_rub(order.tier_discount_amount)))
    if order.promo_discount_amount:
        totals.append((_("Promo code %(code)s", code=order.promo_code), "−" + format_rub(order.promo_discount_amount)))
    totals.append((_("Shipping: %(method)s", method=order.shipping_method_name), format_rub(order.shipping_amount)))
    totals.append((_("Total"), format_rub(order.total_amount)))
    totals.append((_("Including VAT %(rate)s", rate=vat_rate_text()), format_rub(order.vat_amount)))
    totals.append((_("Total to pay"), format_rub(order.total_amount)))
    document.fields(totals, label_share=0.6)
    document.text(
        _(
            "Items: %(count)s, for the amount of %(amount)s",
            count=len(order.lines),
            amount=format_rub(order.total_amount),
        )
    )
    document.text(invoice.total_in_words, bold=True)
    document.space(2)
    if invoice.state == "paid" and order.paid_at is not None:
        document.text(_paid_text(order.paid_at), bold=True)
    elif invoice.state == "canceled":
        document.text(_("The order is canceled: this invoice is not to be paid."), bold=True)
    else:
        document.fields([(_("Payment purpose"), invoice.purpose)], label_share=0.25)
        if invoice.due_on is not None:
            document.text(
                _(
                    "Pay by the end of %(date)s (Moscow time): the goods are reserved until then.",
                    date=format_date(invoice.due_on, "long"),
                ),
                bold=True,
            )
        png = invoice_qr_png(invoice, scale=6)
        if png is not None:
            document.space(2)
            document.text(_("Scan the code in your bank's app: the payment form fills itself."))
            document.image(png, width=40)
    return document.output()
