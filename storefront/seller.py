"""Who sells: our legal details and bank requisites, read once from the ``SELLER_*`` settings into one typed value.

The footer of every storefront page, the invoice, the privacy policy and the offer all print the same ``Seller``.
The bank requisites (``BankDetails``) are all set or all unset: unset, the checkout does not offer paying by
invoice. Their accounts are checked at start-up against the BIK with the Bank of Russia's control key, so a typo in
the configuration stops the app instead of sending buyers' money nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from storefront.config import ConfigError

EXTENSION = "seller"

#: The weights of an account's control key (Банк России, «Порядок расчёта контрольного ключа…», 08.09.1997 № 515),
#: applied to the 23 digits «3 digits of the BIK + the 20-digit account».
_KEY_WEIGHTS = (7, 1, 3) * 8


def _key_sum_ok(digits: str) -> bool:
    return sum(int(digit) * weight % 10 for digit, weight in zip(digits, _KEY_WEIGHTS, strict=False)) % 10 == 0


def settlement_account_matches(bik: str, account: str) -> bool:
    """A settlement account at a bank: the BIK's last three digits before the account give a key sum ending in 0."""
    return len(bik) == 9 and len(account) == 20 and (bik + account).isdigit() and _key_sum_ok(bik[-3:] + account)


def correspondent_account_matches(bik: str, account: str) -> bool:
    """A bank's correspondent account: «0» and the BIK's 5th and 6th digits before it, and it ends with the BIK's
    last three digits."""
    return (
        len(bik) == 9
        and len(account) == 20
        and (bik + account).isdigit()
        and account.startswith("301")
        and account.endswith(bik[-3:])
        and _key_sum_ok("0" + bik[4:6] + account)
    )


@dataclass(frozen=True)
class BankDetails:
    #: The bank's name as printed («АО «Демо-Банк», г. Санкт-Петербург»).
    bank_name: str
    bik: str
    #: Расчётный счёт, 20 digits.
    settlement_account: str
    #: Корреспондентский счёт, 20 digits.
    correspondent_account: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BankDetails | None:
        """The requisites, or None when none is set; some set and some not, or an account whose key does not match
        the BIK, is a ``ConfigError``."""
        names = ("SELLER_BANK_NAME", "SELLER_BIK", "SELLER_SETTLEMENT_ACCOUNT", "SELLER_CORRESPONDENT_ACCOUNT")
        values = [(config.get(name) or "").strip() for name in names]
        if not any(values):
            return None
        missing = [name for name, value in zip(names, values, strict=True) if not value]
        if missing:
            raise ConfigError(f"set all the seller's bank requisites or none; missing: {', '.join(missing)}")
        bank_name, bik, settlement, correspondent = values
        if not settlement_account_matches(bik, settlement):
            raise ConfigError("SELLER_SETTLEMENT_ACCOUNT does not match SELLER_BIK (the control key is wrong)")
        if not correspondent_account_matches(bik, correspondent):
            raise ConfigError("SELLER_CORRESPONDENT_ACCOUNT does not match SELLER_BIK (the control key is wrong)")
        return cls(bank_name, bik, settlement, correspondent)


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
    #: None: not configured, so no invoices to pay by bank transfer.
    bank: BankDetails | None = None

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
            bank=BankDetails.from_config(config),
        )

    @property
    def takes_bank_transfers(self) -> bool:
        """The checkout offers «Оплата по счёту» only when the invoice can carry our bank requisites."""
        return self.bank is not None


def init_app(app: Flask) -> None:
    """Keep the seller on the app (``seller_of``) and give every template ``seller``."""
    seller = Seller.from_config(app.config)
    app.extensions[EXTENSION] = seller
    app.jinja_env.globals["seller"] = seller


def seller_of(app: Flask) -> Seller:
    seller: Seller = app.extensions[EXTENSION]
    return seller
