"""Product pictures: feed picture URLs downloaded by a periodic job (``jobs.py``) through a guarded fetcher
(``fetch.py``), checked and turned into WebP derivatives (``images.py``), kept under ``MEDIA_ROOT`` and served
with year-long cache headers (``views.py``)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("pictures", __name__)


def init_app(app: Flask) -> None:
    from storefront.pictures import jobs, views  # noqa: F401  (registers the job and the route)

    app.register_blueprint(bp)
