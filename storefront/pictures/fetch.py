"""Download one picture from a supplier's URL without letting the URL reach inside our network.

* only ``http`` and ``https``; at most ``max_redirects`` redirects, each hop checked like the first;
* the host is resolved here and every address it resolves to must be public (``ipaddress``: no loopback,
  private, link-local, multicast, reserved, shared or unspecified range); the connection goes to the address
  that was checked (the ``Host`` header and TLS name stay the URL's), so a second DNS answer cannot differ;
* connect and read timeouts plus an overall deadline; the body is read in chunks and refused past
  ``max_bytes`` (a ``Content-Length`` above it is refused before reading);
* ``allowed_private`` lists ``host`` or ``host:port`` entries let through despite a private address — empty in
  production, used by tests that serve pictures from 127.0.0.1.

Refusals raise ``FetchError`` with a short reason code; ``retry`` says whether trying later may help.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
USER_AGENT = "MostikPictureBot/1.0"


class FetchError(Exception):
    def __init__(self, reason: str, detail: str = "", *, retry: bool = False) -> None:
        super().__init__(reason, detail)
        self.reason, self.detail, self.retry = reason, detail, retry

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 10_000_000
    timeout: float = 10.0
    max_redirects: int = 3
    allowed_private: frozenset[str] = field(default_factory=frozenset)


def is_public(address: str) -> bool:
    """True for an address on the public internet; False for every internal or special range."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )


def resolve(host: str, port: int, allowed_private: Collection[str] = ()) -> str:
    """The address to connect to for ``host``: every address it resolves to must be public, unless the
    host (or ``host:port``) is in ``allowed_private``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("dns", host, retry=True) from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise FetchError("dns", host, retry=True)
    if host not in allowed_private and f"{host}:{port}" not in allowed_private:
        for address in addresses:
            if not is_public(address):
                raise FetchError("internal_address", f"{host} → {address}")
    return addresses[0]


def _pool(scheme: str, host: str, address: str, port: int, timeout: float) -> urllib3.HTTPConnectionPool:
    timeouts = urllib3.Timeout(connect=timeout, read=timeout)
    if scheme == "https":
        # Connect to the checked address; the certificate is checked against the URL's host name.
        return urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeouts,
            retries=False,
            maxsize=1,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=timeouts, retries=False, maxsize=1)


def fetch(url: str, limits: FetchLimits) -> bytes:
    """The body of ``url`` (after at most ``limits.max_redirects`` redirects), or ``FetchError``."""
    deadline = time.monotonic() + limits.timeout * 3
    for _hop in range(limits.max_redirects + 1):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError("scheme", scheme or "none")
        try:
            host, port = parts.hostname, parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:  # a port that is not a number
            raise FetchError("bad_url", url[:100]) from exc
        if not host:
            raise FetchError("bad_url", url[:100])
        address = resolve(host, port, limits.allowed_private)
        default_port = port == (443 if scheme == "https" else 80)
        host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pool = _pool(scheme, host, address, port, limits.timeout)
        try:
            response = pool.urlopen(
                "GET",
                path,
                headers={
                    "Host": host_header,
                    "User-Agent": USER_AGENT,
                    "Accept": "image/webp,image/png,image/jpeg,image/gif",
                    "Accept-Encoding": "identity",
                },
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=False,
            )
            try:
                if response.status in REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchError("bad_redirect", str(response.status))
                    url = urljoin(url, location.strip())
                    continue
                if response.status != 200:
                    retry = response.status >= 500 or response.status in (408, 429)
                    raise FetchError("http_status", str(response.status), retry=retry)
                return _read(response, limits.max_bytes, deadline)
            finally:
                response.close()  # never back to a pool: the body may be unread (too large, a redirect)
        except (Urllib3Timeout, TimeoutError) as exc:
            raise FetchError("timeout", host, retry=True) from exc
        except HTTPError as exc:
            raise FetchError("connection", type(exc).__name__, retry=True) from exc
        except OSError as exc:
            raise FetchError("connection", type(exc).__name__, retry=True) from exc
        finally:
            pool.close()
    raise FetchError("too_many_redirects", str(limits.max_redirects))


def _read(response: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", declared)
    body = bytearray()
    for chunk in response.stream(CHUNK, decode_content=False):
        body += chunk
        if len(body) > max_bytes:
            raise FetchError("too_large", f">{max_bytes}")
        if time.monotonic() > deadline:
            raise FetchError("timeout", "body too slow", retry=True)
    return bytes(body)
