"""Shared start-up: hand atheris the per-input function (the scripts import our code under
``atheris.instrument_imports``, so only our packages are instrumented)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import atheris  # a hand-run tool (pip install atheris), not a dependency

#: Instrument only our code: instrumenting every installed package takes minutes.
OURS = ["storefront", "crm"]


def run(test_one_input: Callable[[bytes], None]) -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
