"""Several gunicorn workers: each counts into PROMETHEUS_MULTIPROC_DIR and /metrics on any of them adds up all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

COUNT = """
from storefront.ops import metrics
metrics.PAYMENTS.labels("succeeded").inc()
metrics.HTTP_REQUESTS.labels("ops.healthz", "GET", "200").inc(3)
"""

SCRAPE = """
import sys
from storefront.ops import metrics
metrics.register_gauge("mostik_outbox_depth", "e-mails waiting", lambda: 7)
sys.stdout.write(metrics.exposition(sys.argv[1]).decode())
"""


def _python(script: str, folder: Path, *args: str) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env, check=True
    )
    return done.stdout


def test_counts_of_every_worker_add_up_and_callable_gauges_are_read_once(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    _python(COUNT, folder)
    _python(COUNT, folder)  # a second worker (another process id)
    text = _python(SCRAPE, folder, str(folder))
    assert 'mostik_payments_total{outcome="succeeded"} 2.0' in text
    assert 'mostik_http_requests_total{endpoint="ops.healthz",method="GET",status="200"} 6.0' in text
    assert text.count("mostik_outbox_depth 7.0") == 1
