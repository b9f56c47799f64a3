"""Production logging keeps the loggers modules create at import time (every 500 is logged by one of them)."""

import subprocess
import sys

SCRIPT = """
import logging, logging.config
import storefront.errors, storefront.payment.attempts, storefront.jobs  # loggers made at import
from storefront.ops.logs import logging_config
logging.config.dictConfig(logging_config(json_lines=False))
for name in ("storefront.errors", "storefront.payment.attempts", "storefront.jobs"):
    logging.getLogger(name).error("still heard: %s", name)
"""


def test_loggers_created_at_import_still_write_after_the_production_config() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    for name in ("storefront.errors", "storefront.payment.attempts", "storefront.jobs"):
        assert f"ERROR {name} [-]: still heard: {name}" in done.stdout
