"""Who may send YooKassa notifications: an IP allowlist with a trusted-proxy rule.

Notifications are not signed, so the shop checks the sender's address and then re-fetches the
object by id (the body alone never changes anything). The allowlist is configurable
(``YOOKASSA_NOTIFICATION_NETWORKS``; tests and the demo allow 127.0.0.1) and covers IPv4 and IPv6.

The client address is the TCP peer (``REMOTE_ADDR``). Only when that peer is one of our own
reverse proxies (``YOOKASSA_TRUSTED_PROXIES``) is ``X-Forwarded-For`` consulted, read from the
right, skipping our proxies: the first address that is not ours is the sender. Anything to its
left was written by the sender and is ignored. Without configured proxies the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

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


def _address(text: str | None) -> IPAddress | None:
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


def _within(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


@dataclass(frozen=True)
class NotificationSourcePolicy:
    allowed: tuple[IPNetwork, ...]
    trusted_proxies: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_config(
        cls, allowed: str | Iterable[str], trusted_proxies: str | Iterable[str] = ()
    ) -> NotificationSourcePolicy:
        return cls(parse_networks(allowed), parse_networks(trusted_proxies))

    def client_address(self, remote_addr: str | None, forwarded_for: str | None = None) -> IPAddress | None:
        """The sender's address, or None when it cannot be determined (then refuse)."""
        peer = _address(remote_addr)
        if peer is None:
            return None
        if not self.trusted_proxies or not _within(peer, self.trusted_proxies) or not forwarded_for:
            return peer
        hops = [hop for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                return None  # a garbled hop written by our own proxy chain: refuse rather than guess
            if not _within(address, self.trusted_proxies):
                return address
        return None  # only our proxies: the real sender is unknown

    def is_allowed(self, remote_addr: str | None, forwarded_for: str | None = None) -> bool:
        address = self.client_address(remote_addr, forwarded_for)
        return address is not None and _within(address, self.allowed)
