"""The shop's Prometheus metrics (``prometheus-client``), served at ``/metrics`` by ``storefront.ops.probes``.

Counters and the latency histogram live in this module and are counted where things happen: requests by Flask
endpoint and status (``storefront.ops.web``), payments and refunds by outcome (``storefront.payment``), periodic
job runs and failures (``storefront.jobs``), campaign messages (``crm.campaigns.sending``).

Values read at scrape time — «how many e-mails wait in the outbox» — are registered once with
``register_gauge(name, help, fn)``: ``fn()`` runs inside the ``/metrics`` request (an app context, so it may
query through ``db.session()``) and returns a number.

Several gunicorn workers: with ``PROMETHEUS_MULTIPROC_DIR`` set (an empty folder, the same for every worker,
emptied by ``gunicorn.conf.py`` at start) each worker writes its counts there and any worker answering
``/metrics`` adds them all up; ``gunicorn.conf.py``'s ``child_exit`` marks a dead worker's files.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)
disable_created_metrics()  # no `_created` twin of every counter: Prometheus does not need it

#: Our own registry (not the library's global one): only what is declared here is exported.
REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "mostik_http_requests",
    "HTTP requests answered, by Flask endpoint (`unmatched` when no route matched), method and status",
    ("endpoint", "method", "status"),
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "mostik_http_request_duration_seconds",
    "Time from the request's arrival to its response (streamed bodies not included), by Flask endpoint",
    ("endpoint",),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
PAYMENTS = Counter(
    "mostik_payments",
    "Payment attempts by outcome: a status an attempt moved to (pending, waiting_for_capture, succeeded, "
    "canceled), or `unanswered` / `refused` for a create call",
    ("outcome",),
    registry=REGISTRY,
)
REFUNDS = Counter(
    "mostik_refunds",
    "Refunds by outcome: a status a refund moved to (pending, succeeded, canceled), or `unanswered` / `refused`",
    ("outcome",),
    registry=REGISTRY,
)
JOB_RUNS = Counter("mostik_job_runs", "Periodic job runs started, by job", ("job",), registry=REGISTRY)
JOB_FAILURES = Counter("mostik_job_failures", "Periodic job runs that raised, by job", ("job",), registry=REGISTRY)
CAMPAIGN_MESSAGES = Counter(
    "mostik_campaign_messages",
    "Campaign e-mails by outcome: `sent`, `retry` (refused, tried again later) or `failed` (given up)",
    ("outcome",),
    registry=REGISTRY,
)

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


@dataclass(frozen=True)
class CallableGauge:
    name: str
    help: str
    read: Callable[[], float]


_gauges: dict[str, CallableGauge] = {}


def register_gauge(name: str, help: str, fn: Callable[[], float]) -> None:
    """Export ``name`` with the value ``fn()`` has at each scrape (registering the same name again replaces it).

    ``fn`` runs in the process answering ``/metrics``, inside its app context; a gauge that raises is left out
    of that scrape (and logged), the others are still served."""
    if not _NAME.match(name):
        raise ValueError(f"not a Prometheus metric name: {name!r}")
    _gauges[name] = CallableGauge(name, help, fn)


def unregister_gauge(name: str) -> None:
    _gauges.pop(name, None)


class _CallableGauges(Collector):
    def collect(self) -> Iterator[Metric]:
        for gauge in list(_gauges.values()):
            try:
                value = float(gauge.read())
            except Exception:
                logger.exception("metrics: gauge %s could not be read", gauge.name)
                continue
            yield GaugeMetricFamily(gauge.name, gauge.help, value=value)

    def describe(self) -> list[Metric]:
        return []  # read at scrape time only


REGISTRY.register(_CallableGauges())


def exposition(multiprocess_dir: str | None = None) -> bytes:
    """Every metric in the Prometheus text format: this process's counts, or with ``multiprocess_dir`` the sum
    of every worker's, plus the registered gauges read now."""
    if not multiprocess_dir:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=multiprocess_dir)
    registry.register(_CallableGauges())
    return generate_latest(registry)


CONTENT_TYPE = CONTENT_TYPE_LATEST
