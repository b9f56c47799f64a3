"""Closing documents in the CRM: a company's УПД from the order page and the buyer card, and the акт сверки for
any period from the buyer card (page and PDF), over ``storefront.documents``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/documents")
