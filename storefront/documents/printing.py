"""How the closing documents read: the УПД and the акт сверки as labelled rows and tables, in the reader's
language, built once (``upd_sheet``, ``reconciliation_sheet``) and drawn twice — as the HTML page
(``templates/documents/``) and as the PDF (``upd_pdf``, ``reconciliation_pdf``). The numbers in brackets are the
rows and columns of the form (Постановление Правительства № 1137, приложение 1; письмо ФНС ММВ-20-3/96@).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from storefront.documents.models import Upd
from storefront.documents.reconciliation import EntryKind, Reconciliation
from storefront.documents.upd import PIECE, SERVICE_UNIT
from storefront.i18n import format_percent, format_rub
from storefront.paperwork.pdf import Column, DocumentPdf, Orientation

DASH = "—"
BLANK = "________________"


@dataclass(frozen=True)
class Sheet:
    """A document as rows of label and value, tables, and closing rows."""

    title: str
    subtitle: str
    fields: list[tuple[str, str]]
    columns: list[Column]
    rows: list[list[str]]
    total_row: list[str]
    after: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _day(value: str | date) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(day, "long"))


def _rub(value: str | Decimal) -> str:
    return format_rub(Decimal(value))


def _unit(okei: str) -> str:
    return {PIECE: _("pcs"), SERVICE_UNIT: _("service unit")}.get(okei, okei)


def _line_name(line: dict[str, Any]) -> str:
    if line["kind"] == "shipping":
        return _("Delivery: %(method)s", method=line["name"])
    return str(line["name"])


def upd_title(upd: Upd) -> str:
    return _("UPD No. %(number)s of %(date)s", number=upd.number, date=_day(upd.issued_on))


def upd_sheet(upd: Upd) -> Sheet:
    body = upd.body
    seller, buyer, consignee = body["seller"], body["buyer"], body["consignee"]
    day = _day(upd.issued_on)
    payments = "; ".join(
        _("No. %(number)s of %(date)s", number=payment["number"], date=_day(payment["date"]))
        for payment in body["payments"]
    )
    lines = body["lines"]
    fields = [
        (_("Status"), _("1 — invoice (счёт-фактура) and transfer document")),
        (_("Invoice No. (1)"), _("%(number)s of %(date)s", number=upd.number, date=day)),
        (_("Correction No. (1a)"), DASH),
        (_("Seller (2)"), seller["full_name"]),
        (_("Address (2a)"), seller["address"]),
        (_("Seller's INN/KPP (2b)"), f"{seller['inn']}/{seller['kpp']}"),
        (_("Shipper and its address (3)"), _("the same")),
        (_("Consignee and its address (4)"), f"{consignee['name']}, {consignee['address']}"),
        (_("To payment document (5)"), payments or DASH),
        (
            _("Shipping document (5a)"),
            _("lines 1–%(count)s, No. %(number)s of %(date)s", count=len(lines), number=upd.number, date=day),
        ),
        (_("Buyer (6)"), buyer["name"]),
        (_("Address (6a)"), buyer["address"]),
        (_("Buyer's INN/KPP (6b)"), f"{buyer['inn']}/{buyer['kpp']}" if buyer["kpp"] else buyer["inn"]),
        (_("Currency: name, code (7)"), _("Russian rouble, %(code)s", code=body["currency"])),
        (_("Government contract or agreement identifier (8)"), DASH),
    ]
    columns = [
        Column(_("No. (A)"), 3, "RIGHT"),
        Column(_("Product code (B)"), 7),
        Column(_("Name of the goods (1)"), 22),
        Column(_("Kind code (1a)"), 5),
        Column(_("Unit code (2)"), 5),
        Column(_("Unit (2a)"), 5),
        Column(_("Quantity (3)"), 5, "RIGHT"),
        Column(_("Price per unit (4)"), 9, "RIGHT"),
        Column(_("Amount without VAT (5)"), 10, "RIGHT"),
        Column(_("Excise (6)"), 5),
        Column(_("VAT rate (7)"), 5, "RIGHT"),
        Column(_("VAT charged to the buyer (8)"), 9, "RIGHT"),
        Column(_("Amount with VAT (9)"), 10, "RIGHT"),
        Column(_("Country of origin (10, 10a)"), 6),
        Column(_("Customs declaration or batch number (11)"), 7),
    ]
    rows = [
        [
            str(index),
            line["code"] or DASH,
            _line_name(line),
            DASH,
            line["okei"],
            _unit(line["okei"]),
            str(line["quantity"]),
            _rub(line["price"]),
            _rub(line["net"]),
            _("no excise"),
            format_percent(Decimal(line["vat_rate_bp"]) / 100),
            _rub(line["vat"]),
            _rub(line["gross"]),
            DASH,
            DASH,
        ]
        for index, line in enumerate(lines, start=1)
    ]
    totals = body["totals"]
    total_row = ["", "", _("Total to pay"), "", "", "", "", "", _rub(totals["net"]), "", "", _rub(totals["vat"])]
    total_row += [_rub(totals["gross"]), "", ""]
    basis = _(
        "Public offer agreement, order %(number)s of %(date)s",
        number=body["order_number"],
        date=_day(body["order_date"]),
    )
    sign = _("%(line)s (signature) %(line)s (name)", line=BLANK)
    after = [
        (_("Head of the organisation or another authorised person"), sign),
        (_("Chief accountant or another authorised person"), sign),
        (_("Basis of the transfer (8)"), basis),
        (_("Transport and cargo details (9)"), body.get("shipping_method") or DASH),
        (_("Goods handed over by (10)"), _("%(line)s (position) %(line)s (signature) %(line)s (name)", line=BLANK)),
        (_("Date of shipment, handing over (11)"), _day(body["handed_over_on"])),
        (_("Other details of the shipment (12)"), DASH),
        (_("Responsible for the correct record of the transaction (13)"), BLANK),
        (_("Economic entity drawing up the document (14)"), f"{seller['name']}, {seller['inn']}/{seller['kpp']}"),
        (_("Goods received by (15)"), _("%(line)s (position) %(line)s (signature) %(line)s (name)", line=BLANK)),
        (_("Date of receipt (16)"), BLANK),
        (_("Other details of the receipt (17)"), DASH),
        (_("Responsible for the correct record of the transaction (18)"), BLANK),
        (_("Economic entity drawing up the document (19)"), f"{buyer['name']}, {buyer['inn']}"),
    ]
    return Sheet(
        title=_("Universal transfer document"),
        subtitle=upd_title(upd),
        fields=fields,
        columns=columns,
        rows=rows,
        total_row=total_row,
        after=after,
    )


def _pdf(sheet: Sheet, author: str, *, orientation: Orientation, table_size: float) -> bytes:
    document = DocumentPdf(sheet.subtitle, author=author, orientation=orientation)
    document.heading(sheet.title)
    document.text(sheet.subtitle, bold=True, size=11)
    document.space(2)
    document.fields(sheet.fields, label_share=0.32)
    document.space(3)
    document.table(sheet.columns, [*sheet.rows, sheet.total_row], size=table_size)
    document.space(3)
    for note in sheet.notes:
        document.text(note, bold=True)
    if sheet.after:
        document.fields(sheet.after, label_share=0.4)
    return document.output()


def upd_pdf(upd: Upd) -> bytes:
    return _pdf(upd_sheet(upd), upd.body["seller"]["name"], orientation="landscape", table_size=6.5)


def entry_label(kind: str) -> str:
    labels: dict[str, str] = {
        EntryKind.UPD: _("Sale (UPD)"),
        EntryKind.PAYMENT: _("Payment received"),
        EntryKind.REFUND: _("Refund to the buyer"),
    }
    return labels.get(kind, kind)


def balance_words(balance: Decimal, seller_name: str, buyer_name: str) -> str:
    """Who owes whom at the end."""
    if balance > 0:
        return _(
            "%(debtor)s owes %(creditor)s %(amount)s", debtor=buyer_name, creditor=seller_name, amount=_rub(balance)
        )
    if balance < 0:
        return _(
            "%(debtor)s owes %(creditor)s %(amount)s", debtor=seller_name, creditor=buyer_name, amount=_rub(-balance)
        )
    return _("No debts either way.")


def reconciliation_sheet(statement: Reconciliation, seller: dict[str, str], buyer: dict[str, str]) -> Sheet:
    period = _("from %(start)s to %(end)s", start=_day(statement.start), end=_day(statement.end))
    fields = [
        (_("Seller"), f"{seller['name']}, {_('INN %(inn)s', inn=seller['inn'])}"),
        (_("Buyer"), f"{buyer['name']}" + (f", {_('INN %(inn)s', inn=buyer['inn'])}" if buyer.get("inn") else "")),
        (_("Period"), period),
    ]
    columns = [
        Column(_("Date"), 4),
        Column(_("Operation"), 6),
        Column(_("Document"), 7),
        Column(_("Order"), 5),
        Column(_("Debit"), 5, "RIGHT"),
        Column(_("Credit"), 5, "RIGHT"),
    ]
    opening, closing = statement.opening, statement.closing
    rows = [
        ["", _("Opening balance"), "", "", _rub(max(opening, Decimal(0))), _rub(max(-opening, Decimal(0)))],
    ]
    for entry in statement.entries:
        document = _("UPD No. %(number)s", number=entry.document) if entry.kind == EntryKind.UPD else entry.document
        rows.append(
            [
                str(format_date(entry.on, "dd.MM.yyyy")),
                entry_label(entry.kind),
                document,
                entry.order_number,
                _rub(entry.debit) if entry.debit else "",
                _rub(entry.credit) if entry.credit else "",
            ]
        )
    turnover = [_rub(statement.debit_turnover), _rub(statement.credit_turnover)]
    rows.append(["", _("Turnover for the period"), "", "", *turnover])
    total_row = ["", _("Closing balance"), "", "", _rub(max(closing, Decimal(0))), _rub(max(-closing, Decimal(0)))]
    words = balance_words(closing, seller["name"], buyer["name"])
    sign = _("%(line)s (signature) %(line)s (name)", line=BLANK)
    after = [
        (_("From %(name)s", name=seller["name"]), sign),
        (_("From %(name)s", name=buyer["name"]), sign),
    ]
    return Sheet(
        title=_("Reconciliation statement"),
        subtitle=_("Reconciliation of mutual settlements %(period)s", period=period),
        fields=fields,
        columns=columns,
        rows=rows,
        total_row=total_row,
        after=after,
        notes=[_("As of %(date)s: %(words)s", date=_day(statement.end), words=words)],
    )


def reconciliation_pdf(sheet: Sheet, author: str) -> bytes:
    return _pdf(sheet, author, orientation="portrait", table_size=8)
