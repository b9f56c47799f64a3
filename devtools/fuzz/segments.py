"""``python -m devtools.fuzz.segments``: a segment definition's JSON text through parsing and the compiler."""

from __future__ import annotations

import atheris

from devtools.fuzz._run import OURS, run

with atheris.instrument_imports(include=OURS):
    from crm.segments.compiler import InvalidSegment
    from crm.segments.services import parse_definition


def test_one_input(data: bytes) -> None:
    try:
        parse_definition(data.decode("utf-8", "replace"))
    except InvalidSegment:
        pass


if __name__ == "__main__":
    run(test_one_input)
