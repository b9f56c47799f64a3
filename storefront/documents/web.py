"""The request side of the closing documents: the order page's «УПД» link and the «Закрывающие документы» e-mail."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from storefront.documents.models import Upd
from storefront.documents.printing import upd_title
from storefront.documents.upd import upd_for_order
from storefront.emails import mail_renderer, queue_templated
from storefront.extensions import db
from storefront.order.models import Order
from storefront.order.services import make_access_token


def closing_document(order: Order) -> Upd | None:
    """The order's УПД, if issued (the order pages link it)."""
    if not order.is_company:
        return None
    return upd_for_order(db.session(), order.id)


def _link(endpoint: str, order: Order) -> str:
    """A page of the order for e-mails: with the guest's signed token (works for an account's owner too)."""
    token = make_access_token(order, current_app.config["SECRET_KEY"])
    path = current_app.url_map.bind("localhost").build(endpoint, {"number": order.number, "t": token})
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


@mail_renderer("closing_documents")
def queue_closing_documents_email(session: Session, upd_id: int) -> None:
    """«Закрывающие документы по заказу …»: the УПД's page and its PDF, to the order's address."""
    upd = session.get(Upd, upd_id)
    order = session.get(Order, upd.order_id) if upd is not None else None
    if upd is None or order is None:
        return
    subject = _("Closing documents for order %(number)s", number=order.number)
    queue_templated(
        session,
        "closing_documents",
        order.email,
        subject,
        order=order,
        upd=upd,
        title=upd_title(upd),
        page=_link("documents.upd_page", order),
        pdf=_link("documents.upd_download", order),
    )
