"""Composition root: the storefront, then the CRM wired onto it, then the demo's commands.

``flask --app wsgi …`` finds ``create_app``; gunicorn serves ``'wsgi:create_app()'``. The demo commands
(``seed-demo``, ``crm seed-demo-buyers``) come from ``demo/``, which lives in the checkout like this file and is
never installed with the app.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

import crm
import demo.cli
import storefront
from storefront.jobs import start_in_process_runner


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = storefront.create_app(config)
    crm.init_app(app)
    demo.cli.init_app(app)
    if app.config["JOBS_IN_PROCESS"] and not app.testing:
        start_in_process_runner(app)
    return app
