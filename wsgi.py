"""Composition root: the storefront, then the CRM wired onto it.

``flask --app wsgi …`` finds ``create_app``; gunicorn serves ``'wsgi:create_app()'``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

import crm
import storefront
from storefront.jobs import start_in_process_runner


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = storefront.create_app(config)
    crm.init_app(app)
    if app.config["JOBS_IN_PROCESS"] and not app.testing:
        start_in_process_runner(app)
    return app
