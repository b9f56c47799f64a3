"""Promo codes in the CRM: marketers create, list and deactivate the codes the storefront checkout applies."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("promo", __name__, url_prefix="/promo")
