"""Staff accounts: sign-in, sign-out and ``flask staff create``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__)
