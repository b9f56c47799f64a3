"""``/feeds/yandex.yml``: the active catalogue for Yandex Market and price aggregators, streamed."""

from __future__ import annotations

from collections.abc import Iterator

from flask import current_app, request, stream_with_context
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from storefront.db import utcnow
from storefront.extensions import db
from storefront.feeds import bp
from storefront.feeds.export import catalogue_version, write_yml
from storefront.memo import TimedCache
from storefront.seller import seller_of

#: Aggregators poll hourly; the ETag lets them skip an unchanged feed.
FEED_MAX_AGE = 3600
#: The catalogue version counts every active product (1.6 s on a million); an aggregator's
#: conditional GET should not cost that. Up to CATEGORY_CACHE_SECONDS stale, like the listings.
_version_cache = TimedCache(max_entries=1)


def _encoded(shop_name: str, company: str, base_url: str) -> Iterator[bytes]:
    """The feed as bytes. The session is taken here, while streaming, not in the view: the view's
    session is removed when the view returns, and one taken then and used afterwards was never
    closed (an idle transaction held a connection and blocked TRUNCATE/ALTER on PostgreSQL)."""
    for piece in write_yml(db.session(), shop_name, company, base_url, utcnow()):
        yield piece.encode("utf-8")


@bp.get("/feeds/yandex.yml")
def yandex_yml() -> Response:
    etag = _version_cache.get("yandex.yml", lambda: catalogue_version(db.session()))
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        base_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        company = seller_of(current_app).full_name  # the full legal name, as YML's shop/company asks
        response = current_app.response_class(
            stream_with_context(_encoded(_("Mostik"), company, base_url)), mimetype="application/xml"
        )
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    return response
