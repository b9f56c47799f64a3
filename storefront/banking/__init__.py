"""Bank transfers: reading 1C client-bank statements (``parser.py``), matching their incoming payments to orders
and paying them through the card payment's path (``matching.py``), the import and the review queue
(``services.py``), their words (``texts.py``). ``flask payment import-statement`` and the CRM's
``crm/banking`` pages are the entry points."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add ``import-statement`` to the ``flask payment`` group."""
    from storefront.banking import cli  # noqa: F401  (the command joins the payment group)
