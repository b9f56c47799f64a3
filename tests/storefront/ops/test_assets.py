"""Static URLs carry the file's content hash; a URL with the current hash may be cached for a year."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, url_for

from storefront.ops.assets import StaticVersions

STATIC = Path(__file__).resolve().parents[3] / "static"


def _hash(relative: str) -> str:
    return hashlib.sha256((STATIC / relative).read_bytes()).hexdigest()[:12]


def test_pages_link_static_files_with_their_content_hash(client) -> None:
    html = client.get("/account/login").get_data(as_text=True)
    links = re.findall(r'/static/([^"?]+)\?v=(\w+)', html)
    assert ("storefront/css/site.css", _hash("storefront/css/site.css")) in links
    assert not re.search(r'/static/[^"?]+"', html)  # every static link is versioned


def test_a_versioned_request_may_be_cached_for_a_year_an_unversioned_one_is_revalidated(app: Flask, client) -> None:
    with app.test_request_context():
        url = url_for("static", filename="storefront/css/site.css")
    versioned = client.get(url)
    versioned.close()  # the file it streams
    assert versioned.status_code == 200
    assert {"public", "immutable", "max-age=31536000"} <= {
        part.strip() for part in versioned.headers["Cache-Control"].split(",")
    }
    for other in ("/static/storefront/css/site.css", "/static/storefront/css/site.css?v=0123456789ab"):
        answer = client.get(other)
        answer.close()
        assert answer.status_code == 200
        assert "immutable" not in answer.headers.get("Cache-Control", "")


def test_a_missing_file_gets_no_version_and_stays_a_404(app: Flask, client) -> None:
    with app.test_request_context():
        url = url_for("static", filename="storefront/no-such.css")
    assert url == "/static/storefront/no-such.css"
    assert client.get(url).status_code == 404


def test_in_debug_mode_a_changed_file_gets_a_new_version(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_text("body { color: red }")
    watched, fixed = StaticVersions(str(tmp_path), watch=True), StaticVersions(str(tmp_path), watch=False)
    first = watched.version("site.css")
    assert fixed.version("site.css") == first
    (tmp_path / "site.css").write_text("body { color: blue; margin: 0 }")
    assert watched.version("site.css") != first
    assert fixed.version("site.css") == first  # production: read once per process, a deploy restarts it
    assert watched.version("../etc/passwd") is None
