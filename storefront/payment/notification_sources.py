"""Who may send YooKassa notifications: an IP allowlist with a trusted-proxy rule.

Notifications are not signed, so the shop checks the sender's address and then re-fetches the
object by id (the body alone never changes anything). The allowlist is configurable
(``YOOKASSA_NOTIFICATION_NETWORKS``; tests and the demo allow 127.0.0.1) and covers IPv4 and IPv6.

The sender is the client as ``storefront.proxies`` finds it behind our reverse proxies (``TRUSTED_PROXIES``;
without configured proxies ``X-Forwarded-For`` is ignored).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storefront.proxies import IPAddress, IPNetwork, TrustedProxies, parse_networks, within


@dataclass(frozen=True)
class NotificationSourcePolicy:
    allowed: tuple[IPNetwork, ...]
    proxies: TrustedProxies = TrustedProxies()

    @classmethod
    def from_config(
        cls, allowed: str | Iterable[str], trusted_proxies: str | Iterable[str] = ()
    ) -> NotificationSourcePolicy:
        return cls(parse_networks(allowed), TrustedProxies.from_config(trusted_proxies))

    def client_address(self, remote_addr: str | None, forwarded_for: str | None = None) -> IPAddress | None:
        """The sender's address, or None when it cannot be determined (then refuse)."""
        return self.proxies.client_address(remote_addr, forwarded_for)

    def is_allowed(self, remote_addr: str | None, forwarded_for: str | None = None) -> bool:
        address = self.client_address(remote_addr, forwarded_for)
        return address is not None and within(address, self.allowed)
