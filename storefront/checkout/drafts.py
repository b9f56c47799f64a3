"""The checkout form a buyer has typed and not sent yet, kept with the cart (``Cart.checkout_draft``). No Flask here.

Why server-side and keyed by the cart: the address and phone are personal data, so they stay in our database (not in
a cookie or in the browser's storage on a shared computer); the draft goes wherever the cart goes (a guest's cookie,
a buyer's account on another device), is forgotten when the order is placed and is deleted with a stale guest cart.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from storefront.cart.models import Cart

#: The fields a draft keeps: contact, company, address and the shipping choice. Never consents, tokens or promo codes.
FIELDS = (
    "email",
    "name",
    "phone",
    "kind",
    "company_name",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
    "region_code",
    "city",
    "postcode",
    "street",
    "recipient",
    "recipient_phone",
    "shipping_method",
    "pickup_point",
)
#: No field of the form is longer; anything beyond is not typing.
MAX_LENGTH = 500


def save_draft(session: Session, cart: Cart, values: Mapping[str, str]) -> None:
    """Keep the known fields of ``values`` (trimmed to ``MAX_LENGTH``) as the cart's draft. Flushes; the caller
    commits."""
    draft = {name: str(values[name])[:MAX_LENGTH] for name in FIELDS if values.get(name) is not None}
    cart.checkout_draft = draft or None
    session.flush()


def draft_values(cart: Cart | None) -> dict[str, object]:
    """The draft as form data (``shipping_method`` as a number), or nothing."""
    if cart is None or not cart.checkout_draft:
        return {}
    values: dict[str, object] = {k: v for k, v in cart.checkout_draft.items() if k in FIELDS and isinstance(v, str)}
    method = values.pop("shipping_method", "")
    if isinstance(method, str) and method.isdigit() and len(method) < 10:
        values["shipping_method"] = int(method)
    return values


def forget_draft(cart: Cart) -> None:
    """After the order is placed; the caller flushes with the rest of the placement."""
    cart.checkout_draft = None
