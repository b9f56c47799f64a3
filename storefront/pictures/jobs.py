"""The picture download job (``flask --app wsgi run-due``, the demo's in-process runner, Celery beat)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from storefront.jobs import periodic
from storefront.pictures.services import DownloadResult, PictureSettings, download_due


def picture_settings(app: Flask) -> PictureSettings:
    """The job's settings, read from ``app``'s config at each run."""
    return PictureSettings.from_config(app.config)


@periodic("download-product-pictures", every=timedelta(minutes=1), needs={"settings": picture_settings})
def download_product_pictures(session: Session, now: datetime, *, settings: PictureSettings) -> DownloadResult:
    return download_due(session, settings, now)
