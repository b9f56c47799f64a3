"""Links in a campaign body: UTM tags on every http(s) link, then (for real recipients) our click redirect."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_HREF = re.compile(r"""(href\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)
_TEXT_URL = re.compile(r"https?://[^\s<>\"'«»]+[^\s<>\"'«».,;:!?)]")


@functools.lru_cache(maxsize=1024)  # the same few links in every message of a campaign
def add_utm(url: str, campaign_slug: str) -> str:
    """utm_source=mostik, utm_medium=email, utm_campaign=<slug>; tags already in the link are kept."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    for key, value in (("utm_source", "mostik"), ("utm_medium", "email"), ("utm_campaign", campaign_slug)):
        if key not in present:
            query.append((key, value))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def rewrite_html(body: str, rewrite: Callable[[str], str | None]) -> str:
    """Apply ``rewrite`` to every http(s) href (``None`` keeps a link as it is)."""

    def replace(match: re.Match[str]) -> str:
        url = html.unescape(match.group(3))
        new = rewrite(url)
        if new is None:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{html.escape(new, quote=True)}{match.group(2)}"

    return _HREF.sub(replace, body)


def rewrite_text(body: str, rewrite: Callable[[str], str | None]) -> str:
    def replace(match: re.Match[str]) -> str:
        new = rewrite(match.group(0))
        return match.group(0) if new is None else new

    return _TEXT_URL.sub(replace, body)
