"""Quote words for people (states, refusals), the «quote sent» e-mail and the PDF for the buyer's accountant."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from storefront.emails import mail_renderer, queue_templated
from storefront.i18n import format_rub
from storefront.moscow import to_moscow
from storefront.paperwork.pdf import Column, DocumentPdf
from storefront.quotes.models import Quote, QuoteStatus
from storefront.quotes.services import POLICY_EXTENSION, QuotePolicy, QuoteRefused
from storefront.seller import Seller


def current_policy() -> QuotePolicy:
    policy: QuotePolicy = current_app.extensions[POLICY_EXTENSION]
    return policy


def quote_status_label(quote: Quote) -> str:
    if quote.awaiting_approval:
        return _("Awaiting approval")
    labels = {
        QuoteStatus.DRAFT: _("Draft"),
        QuoteStatus.SENT: _("Sent"),
        QuoteStatus.ACCEPTED: _("Accepted"),
        QuoteStatus.EXPIRED: _("Expired"),
        QuoteStatus.WITHDRAWN: _("Withdrawn"),
    }
    return labels.get(quote.status, str(quote.status))


def quote_event_label(step: str) -> str:
    """A quote's step on the CRM timeline."""
    labels = {
        "draft": _("drafted"),
        "sent": _("sent to the buyer"),
        "accepted": _("accepted by the buyer"),
        "expired": _("expired"),
        "withdrawn": _("withdrawn"),
    }
    return labels.get(step, step)


def refusal_message(error: QuoteRefused) -> str:
    """A refusal in words, for the buyer and for staff alike."""
    if error.reason == "below_moq":
        return ngettext(
            "«%(title)s» is sold from %(num)d piece.",
            "«%(title)s» is sold from %(num)d pieces.",
            error.moq,
            title=error.title,
        )
    if error.reason in ("unavailable", "no_price") and error.title:
        return _("«%(title)s» cannot be ordered now.", title=error.title)
    if error.reason == "bad_price" and error.title:
        return _("Check the price of «%(title)s»: it must be above zero.", title=error.title)
    messages = {
        "stale": _("Someone changed this quote meanwhile. Here it is as it stands now."),
        "not_draft": _("Only a draft can be changed or sent."),
        "empty": _("Add at least one product to the quote."),
        "past_validity": _("The validity date must be in the future."),
        "not_pending": _("This quote is not waiting for approval."),
        "accepted": _("This quote has already been accepted: the order is in your account."),
        "expired": _("This quote has expired. Ask your manager for a new one."),
        "withdrawn": _("This quote has been withdrawn. Ask your manager for a new one."),
        "not_offered": _("This quote cannot be accepted."),
        "no_address": _("Add a delivery address in your account first, then accept the quote."),
        "no_shipping": _("We cannot deliver to your address. Ask your manager."),
        "unavailable": _("A product in the quote cannot be ordered now. Ask your manager."),
        "no_price": _("A product in the quote has no price now. Ask your manager."),
        "bad_price": _("Check the prices: each must be above zero."),
        "bad_quantity": _("Check the quantities: each must be a whole number above zero."),
        "duplicate": _("Each product may appear in the quote once."),
    }
    return messages.get(error.reason, _("This quote cannot be changed now."))


def quote_link(quote: Quote) -> str:
    """The buyer's page of the quote, for e-mails (built without a request: an approval may come from anywhere)."""
    path = current_app.url_map.bind("localhost").build("quotes.quote_page", {"quote_id": quote.id})
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


@mail_renderer("quote_sent")
def queue_quote_email(session: Session, quote_id: int) -> None:
    """The Russian «коммерческое предложение» e-mail with its lines and the link to accept it."""
    quote = session.get(Quote, quote_id)
    if quote is None or quote.sent_at is None:
        return
    subject = _("Quote %(number)s from Mostik", number=quote.number)
    queue_templated(
        session,
        "quote_sent",
        quote.buyer.email,
        subject,
        quote=quote,
        link=quote_link(quote),
        valid_until=to_moscow(quote.valid_until),
    )


def quote_pdf(quote: Quote, seller: Seller) -> bytes:
    """The quote as an A4 PDF: seller, buyer, lines at the quoted prices, total, validity, note."""
    buyer = quote.buyer
    pdf = DocumentPdf(_("Quote %(number)s", number=quote.number), author=seller.name)
    pdf.heading(_("Commercial offer %(number)s", number=quote.number))
    valid = to_moscow(quote.valid_until).strftime("%d.%m.%Y")
    sent = to_moscow(quote.sent_at or quote.created_at).strftime("%d.%m.%Y")
    pdf.fields(
        [
            (_("Date"), sent),
            (_("Valid until"), valid),
            (_("Supplier"), f"{seller.name}, {_('INN')} {seller.inn}"),
            (_("Buyer"), _buyer_line(quote)),
        ]
    )
    pdf.space()
    rows = [
        [
            str(number),
            line.title,
            line.sku,
            str(line.quantity),
            format_rub(line.unit_price),
            format_rub(line.line_amount),
        ]
        for number, line in enumerate(quote.lines, start=1)
    ]
    pdf.table(
        [
            Column("№", 0.05, "RIGHT"),
            Column(_("Product"), 0.4),
            Column(_("SKU"), 0.14),
            Column(_("Qty"), 0.09, "RIGHT"),
            Column(_("Price"), 0.15, "RIGHT"),
            Column(_("Amount"), 0.17, "RIGHT"),
        ],
        rows,
    )
    pdf.space(2)
    pdf.text(_("Total for goods: %(amount)s, VAT included", amount=format_rub(quote.total)), bold=True)
    pdf.text(_("Shipping is calculated when the order is placed, by the buyer's delivery address."))
    if quote.note:
        pdf.space(2)
        pdf.text(quote.note)
    pdf.space(2)
    pdf.text(_("The prices are valid until %(date)s inclusive.", date=valid))
    if buyer is not None and buyer.email:
        pdf.text(_("Accept the quote in your account on the Mostik website."))
    return pdf.output()


def _buyer_line(quote: Quote) -> str:
    buyer = quote.buyer
    if buyer.is_company and buyer.company_name:
        return f"{buyer.company_name}, {_('INN')} {buyer.inn or '—'}"
    return buyer.name
