"""Generated data for the demo (``make run``) and the benchmarks (``bench/``): the demo catalogue
(``demo.catalogue``), the demo CRM (``demo.buyers``), bulk buyers/orders and segment data for the benchmarks
(``demo.bulk``), and the ``flask --app wsgi seed-demo`` / ``crm seed-demo-buyers`` commands (``demo.cli``,
registered by ``wsgi.py``). Word tables are data files in ``demo/data/``.

Never installed (setup.cfg packages only ``storefront`` and ``crm``) and never imported by them: it is used
from the checkout, like ``wsgi.py``, ``bench/`` and ``devtools/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_data(name: str) -> Any:
    """A JSON word table from ``demo/data/``."""
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
