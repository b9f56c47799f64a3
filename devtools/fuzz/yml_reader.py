"""``python -m devtools.fuzz.yml_reader [corpus_dir] [-max_total_time=60]``: the streaming YML reader."""

from __future__ import annotations

import io

import atheris

from devtools.fuzz._run import OURS, run

with atheris.instrument_imports(include=OURS):
    from storefront.feeds import reader


def test_one_input(data: bytes) -> None:
    reader.CHUNK_CHARS = 1 + (data[0] if data else 0)  # cut the text at every size
    try:
        _head, offers = reader.read_yml(io.BytesIO(data[1:]))
        for _offer in offers:
            pass
    except reader.NotAFeed:
        pass


if __name__ == "__main__":
    run(test_one_input)
