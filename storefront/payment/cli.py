"""The ``flask --app wsgi payment`` commands. Areas that build on payments add theirs: ``payment refund`` lives with
the ledger (``storefront.settlement.cli``), which caps a refund for chosen lines, and ``payment import-statement``
with the bank statements (``storefront.banking.cli``).
"""

from __future__ import annotations

from flask.cli import AppGroup

payment_group = AppGroup("payment", help="Payments: refunds (staff also refund on the CRM order page).")
