"""Static files with cache busting: ``url_for('static', filename=…)`` adds ``v=<content hash>``, and a request
carrying the current hash is answered with a year-long, immutable ``Cache-Control``. A changed file gets a new
URL at the next deploy (the hashes are read once per process; in debug mode again whenever the file changes);
a request without ``v`` or with an old one is served as before (revalidated).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

VERSION_ARG = "v"
ONE_YEAR = 365 * 24 * 3600
_HASH_LENGTH = 12


class StaticVersions:
    """Content hashes of the files under one static folder, computed on first use."""

    def __init__(self, folder: str, watch: bool) -> None:
        self.folder = folder
        self.watch = watch
        self._hashes: dict[str, tuple[int, str | None]] = {}

    def version(self, filename: str) -> str | None:
        """The file's hash, or None when there is no such file (the URL is then left alone)."""
        known = self._hashes.get(filename)
        if known is not None and not self.watch:
            return known[1]
        path = safe_join(self.folder, filename)
        try:
            stamp = os.stat(path).st_mtime_ns if path is not None else -1
        except OSError:
            stamp = -1
        if known is not None and known[0] == stamp:
            return known[1]
        digest = None
        if path is not None and stamp != -1 and os.path.isfile(path):
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:_HASH_LENGTH]
        self._hashes[filename] = (stamp, digest)
        return digest


def init_app(app: Flask) -> None:
    if app.static_folder is None:
        return
    versions = StaticVersions(app.static_folder, watch=app.debug)
    app.extensions["static_versions"] = versions

    @app.url_defaults
    def static_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and VERSION_ARG not in values and "filename" in values:
            version = versions.version(values["filename"])
            if version is not None:
                values[VERSION_ARG] = version

    @app.after_request
    def cache_versioned_static(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        asked = request.args.get(VERSION_ARG)
        filename = (request.view_args or {}).get("filename")
        if asked and filename and asked == versions.version(filename):
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
