"""gunicorn's settings for production, read from the environment through ``storefront.config`` (see the README's
«Production» section). From the project folder, ``gunicorn`` alone serves ``wsgi:create_app()`` with them:

- ``WEB_BIND``, ``WEB_WORKERS`` (sync workers), ``WEB_TIMEOUT_SECONDS`` (silent worker restarted; graceful stop);
- ``forwarded_allow_ips`` is ``TRUSTED_PROXIES``: gunicorn believes ``X-Forwarded-Proto`` from the same proxies as
  the app (``storefront.proxies``), and from nobody when it is empty;
- with ``LOG_TO_STDOUT`` (on in production) gunicorn's own lines use the app's format (JSON lines in production,
  request ids, masking); its access log stays off: the app writes one ``storefront.access`` line per request;
- ``PROMETHEUS_MULTIPROC_DIR``: emptied when gunicorn starts, and a dead worker's files are marked in
  ``child_exit``, so ``/metrics`` on any worker adds up every worker's counts.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from storefront.config import BY_NAME, SETTINGS
from storefront.ops.logs import logging_config
from storefront.proxies import parse_networks

_ENVIRONMENT = os.environ.get("MOSTIK_ENV") or "production"


def _setting(name: str) -> Any:
    return BY_NAME[name].value(os.environ, _ENVIRONMENT)


wsgi_app = "wsgi:create_app()"
bind = [_setting("WEB_BIND")]
workers = _setting("WEB_WORKERS") or 1
worker_class = "sync"
timeout = _setting("WEB_TIMEOUT_SECONDS")
graceful_timeout = timeout
keepalive = 5  # seconds an idle keep-alive connection from the proxy stays open
forwarded_allow_ips = ",".join(str(network) for network in parse_networks(_setting("TRUSTED_PROXIES")))
# Heartbeat files in memory: a container's overlay /tmp can stall a worker into a timeout.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None
# No control socket in $HOME (gunicorn 25+): nothing here uses it, and two gunicorns on one host would share it.
control_socket_disable = True

if _setting("LOG_TO_STDOUT"):
    _secrets = [str(value) for s in SETTINGS if s.secret and (value := _setting(s.name))]
    logconfig_dict = logging_config(json_lines=_ENVIRONMENT == "production", secrets=_secrets)
    logconfig_dict["loggers"] |= {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    }

_METRICS_DIR = _setting("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server: Any) -> None:
    """A fresh metrics folder for this gunicorn: counts of an earlier run must not add up with ours."""
    if not _METRICS_DIR:
        return
    folder = Path(_METRICS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


#: The worker's collector thresholds: a search page allocates tens of thousands of short-lived objects, and at
#: Python's default (a young collection every 700) those collections, and the full ones they lead to over the
#: per-process caches, took about a fifth of a new query's time (measured on 1,000,000 products).
GC_THRESHOLDS = (50_000, 20, 10)


def post_worker_init(worker: Any) -> None:
    """The worker has loaded the app: what it holds now lives as long as the worker, so the collector stops
    walking it (``gc.freeze``), and collects young objects less often."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges leave the sum (its counters stay counted)."""
    if _METRICS_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, _METRICS_DIR)
