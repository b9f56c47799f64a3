"""Quotes from the buyer card (issue 18): build, price within the floor, send, approve, withdraw, the PDF; and the
prepared reorder (a draft from the buyer's usual basket, ``basket.py``). The domain is ``storefront.quotes``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("quotes", __name__)
