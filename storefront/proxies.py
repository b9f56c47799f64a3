"""Our reverse proxies and the client behind them: ``TRUSTED_PROXIES`` is the one list. Only when the TCP peer is
one of them is ``X-Forwarded-For`` consulted, read from the right, skipping our proxies: the first address that
is not ours is the client. Anything to its left was written by the client and is ignored. ``TrustedProxies``
puts that address into ``REMOTE_ADDR`` (and the proxy's ``X-Forwarded-Proto`` into the URL scheme) before Flask
sees the request, so sign-in limits, audit entries and consents all see the client, never the proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from a comma/space separated string or a list; bare addresses become /32 or /128.

    Raises ``ValueError`` naming the bad entry (a configuration error, found at start-up).
    """
    items = values.replace(",", " ").split() if isinstance(values, str) else list(values)
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not an IP address or network: {item!r}") from exc
    return tuple(networks)


def address_of(text: str | None) -> IPAddress | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.5:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def within(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_config(cls, networks: str | Iterable[str]) -> TrustedProxies:
        return cls(parse_networks(networks))

    def client_address(self, remote_addr: str | None, forwarded_for: str | None = None) -> IPAddress | None:
        """The client's address, or None when it cannot be determined (then refuse)."""
        peer = address_of(remote_addr)
        if peer is None:
            return None
        if not self.networks or not within(peer, self.networks) or not forwarded_for:
            return peer
        for hop in reversed(forwarded_for.split(",")):
            address = address_of(hop)
            if address is None:
                return None  # a garbled hop written by our own proxy chain: refuse rather than guess
            if not within(address, self.networks):
                return address
        return None  # only our proxies: the real client is unknown

    def wrap(self, wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
        """WSGI middleware: behind our proxies, the client's address and scheme replace the proxy's."""

        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            peer = address_of(environ.get("REMOTE_ADDR"))
            if self.networks and peer is not None and within(peer, self.networks):
                client = self.client_address(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"))
                environ["mostik.proxy_addr"] = environ.get("REMOTE_ADDR")
                environ["REMOTE_ADDR"] = str(client) if client is not None else "unknown"
                scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").rsplit(",", 1)[-1].strip().lower()
                if scheme in ("http", "https"):
                    environ["wsgi.url_scheme"] = scheme
            return wsgi_app(environ, start_response)

        return middleware
