"""Response headers every page gets: what the browser may load, who may frame us, no MIME sniffing, how much of
our URLs other sites learn, and HTTPS-only once a request came over TLS; and where ``next=`` may send the browser."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.wrappers import Response

#: Inline scripts and styles remain in a few templates (progressive enhancements, e-mail-like previews), so
#: they are allowed; framing, plugins, foreign scripts and a changed <base> are not.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
#: A year, once the site is reached over HTTPS (behind the proxy, ``request.is_secure`` comes from ProxyFix).
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def safe_next_url(target: str | None, fallback: str = "/") -> str:
    """The one check for ``next=`` (sign-in, language switch, cart): only a path on this site is followed, anything
    else goes to ``fallback``.

    Refused: another host or scheme (``https:evil``, ``//evil``), a backslash (``/\\evil``, read as ``//evil`` by
    browsers), and any control or separator character but a plain space: browsers drop tabs and line breaks
    (``/\t/evil`` becomes ``//evil``) and a CR or LF would end the ``Location`` header.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(char != " " and unicodedata.category(char)[0] in "CZ" for char in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
