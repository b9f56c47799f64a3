"""Bank statements in the CRM (finance and admin): upload a 1C client-bank statement, its summary, the review
queue where staff match a payment to an order by hand or mark it «не наш платёж» (audited), over
``storefront.banking``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("banking", __name__, url_prefix="/bank")
