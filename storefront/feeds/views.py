"""``/feeds/yandex.yml``: the active catalogue for Yandex Market and price aggregators, streamed."""

from __future__ import annotations

from flask import current_app, request, stream_with_context
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from storefront.db import utcnow
from storefront.extensions import db
from storefront.feeds import bp
from storefront.feeds.export import catalogue_version, write_yml
from storefront.memo import TimedCache

#: Aggregators poll hourly; the ETag lets them skip an unchanged feed.
FEED_MAX_AGE = 3600
#: The catalogue version counts every active product (1.6 s on a million); an aggregator's
#: conditional GET should not cost that. Up to CATEGORY_CACHE_SECONDS stale, like the listings.
_version_cache = TimedCache(max_entries=1)


@bp.get("/feeds/yandex.yml")
def yandex_yml() -> Response:
    etag = _version_cache.get("yandex.yml", lambda: catalogue_version(db.session()))
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        base_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        pieces = write_yml(db.session(), _("Mostik"), _("Mostik wholesale marketplace"), base_url, utcnow())
        response = current_app.response_class(
            stream_with_context(piece.encode("utf-8") for piece in pieces), mimetype="application/xml"
        )
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    return response
