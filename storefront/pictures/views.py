"""Picture files, served from ``MEDIA_ROOT`` with a year's immutable caching (names are content hashes)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import abort, current_app, send_file
from werkzeug.wrappers import Response

from storefront.pictures import bp, images

#: ``<32 hex>-<size>.webp``: nothing else is ever looked up on disk.
NAME = re.compile(r"[0-9a-f]{32}-(\d{3,4})\.webp")
YEAR = 365 * 24 * 3600


@bp.get("/media/pictures/<name>")
def picture_file(name: str) -> Response:
    match = NAME.fullmatch(name)
    if match is None or int(match.group(1)) not in images.SIZES:
        abort(404)
    path = images.file_path(Path(current_app.config["MEDIA_ROOT"]), name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/webp", max_age=YEAR, conditional=True, etag=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
