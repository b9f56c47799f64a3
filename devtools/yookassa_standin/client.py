"""A small client for the stand-in's ``/_fake/...`` control endpoints (tests, scripts, Playwright helpers)."""

from __future__ import annotations

from typing import Any

import requests


class StandInError(RuntimeError):
    """The stand-in refused a control request."""


class StandInClient:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, f"{self.base_url}/_fake{path}", json=body, timeout=self.timeout)
        if response.status_code != 200:
            raise StandInError(f"{method} /_fake{path}: {response.status_code} {response.text}")
        return response.json()

    def reset(self) -> None:
        self._call("POST", "/reset")

    def pay(self, payment_id: str, payment_method: str = "bank_card") -> dict[str, Any]:
        return self._call("POST", f"/payments/{payment_id}/pay", {"payment_method": payment_method})

    def fail(self, payment_id: str, reason: str = "insufficient_funds") -> dict[str, Any]:
        return self._call("POST", f"/payments/{payment_id}/fail", {"reason": reason})

    def expire(self, payment_id: str) -> dict[str, Any]:
        return self._call("POST", f"/payments/{payment_id}/expire")

    def payment_record(self, payment_id: str) -> dict[str, Any]:
        return self._call("GET", f"/payments/{payment_id}")

    def add_fault(self, kind: str, route: str = "*", **options: Any) -> None:
        self._call("POST", "/faults", {"kind": kind, "route": route, **options})

    def decline_next_payment(self, reason: str = "card_expired") -> None:
        self._call("POST", "/decline-next", {"reason": reason})

    def clear_faults(self) -> None:
        self._call("POST", "/faults/clear")

    def requests(self) -> list[dict[str, Any]]:
        return self._call("GET", "/requests")["items"]

    def notifications(self) -> list[dict[str, Any]]:
        return self._call("GET", "/notifications")["items"]

    def send_notification(
        self, event: str, object_id: str, *, times: int = 1, overrides: dict[str, Any] | None = None
    ) -> None:
        body: dict[str, Any] = {"event": event, "object_id": object_id, "times": times}
        if overrides is not None:
            body["overrides"] = overrides
        self._call("POST", "/notifications", body)

    def configure(self, **settings: Any) -> None:
        self._call("POST", "/config", settings)

    def settle_refund(self, refund_id: str, status: str, reason: str | None = None) -> dict[str, Any]:
        """A pending refund ends ``succeeded`` or ``canceled`` (with ``reason``) now."""
        body: dict[str, Any] = {"status": status}
        if reason is not None:
            body["reason"] = reason
        return self._call("POST", f"/refunds/{refund_id}/settle", body)

    def receipts(self) -> list[dict[str, Any]]:
        """Every receipt made through ``POST /v3/receipts`` (closing receipts)."""
        return self._call("GET", "/receipts")["items"]
