"""Who sells: our legal details, read once from the ``SELLER_*`` settings into one typed value.

The footer of every storefront page, the invoice, the privacy policy and the offer all print the same
``Seller``; bank requisites for invoices join this dataclass (and the ``SELLER_*`` group) when they come.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

EXTENSION = "seller"


@dataclass(frozen=True)
class Seller:
    full_name: str
    #: The short name («ООО «Мостик»») on invoices and in the footer.
    name: str
    inn: str
    kpp: str
    ogrn: str
    #: The legal address.
    address: str
    phone: str
    email: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Seller:
        return cls(
            full_name=config["SELLER_FULL_NAME"],
            name=config["SELLER_NAME"],
            inn=config["SELLER_INN"],
            kpp=config["SELLER_KPP"],
            ogrn=config["SELLER_OGRN"],
            address=config["SELLER_ADDRESS"],
            phone=config["SELLER_PHONE"],
            email=config["SELLER_EMAIL"],
        )


def init_app(app: Flask) -> None:
    """Keep the seller on the app (``seller_of``) and give every template ``seller``."""
    seller = Seller.from_config(app.config)
    app.extensions[EXTENSION] = seller
    app.jinja_env.globals["seller"] = seller


def seller_of(app: Flask) -> Seller:
    seller: Seller = app.extensions[EXTENSION]
    return seller
