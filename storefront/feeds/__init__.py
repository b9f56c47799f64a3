"""Feeds area: YML/CSV catalogue import (``flask --app wsgi catalog import``) and the YML export."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("feeds", __name__)


def init_app(app: Flask) -> None:
    from storefront.feeds import cli, views  # noqa: F401  (routes on bp)

    app.register_blueprint(bp)
    app.cli.add_command(cli.catalog_group)
