"""Operating the shop as a service: health and readiness probes, Prometheus metrics, request ids and log lines
without personal data, versioned static URLs. ``init_app`` wires the web parts; ``storefront.ops.metrics`` and
``storefront.ops.logs`` import no Flask, so services, jobs and the CRM's sender count and log through them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from storefront.ops import assets, probes, web

    web.init_app(app)
    probes.init_app(app)
    assets.init_app(app)
