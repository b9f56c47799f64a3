"""The stand-in's notification sender: POSTs events to the shop, retries until it answers 200.

Deliveries run on one background thread from a due-time queue, so a slow shop never blocks the
API. Every attempt is recorded (event, object id, attempt number, HTTP status or error).
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DEFAULT_RETRY_DELAYS = (1.0, 5.0, 30.0, 60.0, 300.0)


@dataclass
class Delivery:
    event: str
    body: dict[str, Any]
    url: str
    attempt: int = 0
    retry: bool = True


@dataclass
class Attempt:
    event: str
    object_id: str
    attempt: int
    url: str
    status: int | None
    error: str | None
    body: dict[str, Any] = field(repr=False, default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "object_id": self.object_id,
            "attempt": self.attempt,
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "body": self.body,
        }


def post_json(url: str, body: dict[str, Any], *, timeout: float, source_address: str | None) -> int:
    """POST ``body`` as JSON and return the status (http.client lets us pick the source address)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    source = (source_address, 0) if source_address else None
    connection = connection_class(parts.hostname or "127.0.0.1", parts.port, timeout=timeout, source_address=source)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        payload = json.dumps(body, ensure_ascii=False).encode()
        connection.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class WebhookSender:
    def __init__(
        self,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        timeout: float = 5.0,
        source_address: str | None = None,
    ) -> None:
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.source_address = source_address
        self.attempts: list[Attempt] = []
        self._queue: list[tuple[float, int, Delivery]] = []
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._in_flight = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="yookassa-standin-webhooks", daemon=True)
        self._thread.start()

    def enqueue(self, delivery: Delivery, delay: float = 0.0) -> None:
        with self._condition:
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._sequence), delivery))
            self._condition.notify_all()

    def clear(self) -> None:
        with self._condition:
            self._queue.clear()
            self.attempts.clear()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
        self._thread.join(timeout=self.timeout + 1)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is due or in flight (retries scheduled later count as pending)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._condition.wait(timeout)
                if self._stopped:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                self._in_flight += 1
            try:
                self._deliver(delivery)
            finally:
                with self._condition:
                    self._in_flight -= 1
                    self._condition.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        delivery.attempt += 1
        status: int | None = None
        error: str | None = None
        try:
            status = post_json(delivery.url, delivery.body, timeout=self.timeout, source_address=self.source_address)
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        with self._condition:
            self.attempts.append(
                Attempt(
                    delivery.event,
                    str(delivery.body.get("object", {}).get("id", "")),
                    delivery.attempt,
                    delivery.url,
                    status,
                    error,
                    delivery.body,
                )
            )
        if status != 200 and delivery.retry and delivery.attempt <= len(self.retry_delays):
            self.enqueue(delivery, self.retry_delays[delivery.attempt - 1])
