"""``python -m devtools.fuzz.money``: amounts typed by people (``parse_amount``) and JSON bodies (``load_json``)."""

from __future__ import annotations

import atheris

from devtools.fuzz._run import OURS, run

with atheris.instrument_imports(include=OURS):
    from storefront.input_bounds import JSONRefused, load_json
    from storefront.money import MoneyError, parse_amount


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        value = parse_amount(text, places=2)
    except MoneyError:
        pass
    else:
        assert value.is_finite(), text
    try:
        load_json(data, 4096, 8)
    except JSONRefused:
        pass


if __name__ == "__main__":
    run(test_one_input)
