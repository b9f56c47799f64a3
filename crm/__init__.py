"""Mostik buyer CRM: the staff side. May import ``storefront``; never the reverse."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

bp = Blueprint("crm", __name__, url_prefix="/crm", template_folder="templates")


@bp.get("/")
def dashboard() -> str:
    """The CRM landing page; staff areas arrive with the CRM issues."""
    return render_template("crm/dashboard.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
