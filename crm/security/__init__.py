"""Account security in the CRM: the sign-in code step, one's own password, second factor and sessions, and the
staff page (sign a member out everywhere, reset their second factor)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("security", __name__)
