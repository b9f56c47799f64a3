"""Reading the shop's Prometheus counters in tests: compare before and after, counters are per process."""

from __future__ import annotations

from storefront.ops.metrics import REGISTRY


def sample(name: str, **labels: str) -> float:
    """The current value of ``name`` (e.g. ``mostik_payments_total``) with these labels; 0 when never counted."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
