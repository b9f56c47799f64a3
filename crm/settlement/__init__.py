"""Finance in the CRM: the ledger's balances, supplier statements (page and CSV) and payout batches, over
``storefront.settlement``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("settlement", __name__, url_prefix="/settlement")
