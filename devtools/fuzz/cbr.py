"""``python -m devtools.fuzz.cbr [corpus_dir]``: the CBR daily-rates parser (seed it with tests/data/cbr)."""

from __future__ import annotations

import atheris

from devtools.fuzz._run import OURS, run

with atheris.instrument_imports(include=OURS):
    from storefront.fx.cbr import RateFeedError, parse_daily


def test_one_input(data: bytes) -> None:
    try:
        parse_daily(data)
    except RateFeedError:
        pass


if __name__ == "__main__":
    run(test_one_input)
