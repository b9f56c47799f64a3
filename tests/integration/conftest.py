"""Integration fixtures: the YooKassa stand-in and an app wired to it (see tests/payment_support.py)."""

from tests.payment_support import _fresh_standin, pay_app, standin  # noqa: F401  (fixtures)
