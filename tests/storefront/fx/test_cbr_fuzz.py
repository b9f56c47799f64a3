"""Property test: any bytes given to the CBR parser give a rate sheet or ``RateFeedError``, nothing else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from storefront.fx.cbr import RateFeedError, RateSheet, parse_daily

SAMPLE = (Path(__file__).resolve().parents[2] / "data" / "cbr" / "XML_daily_2026-11-25.xml").read_bytes()
FUZZ = settings(max_examples=150, deadline=None)


def _parses_or_refuses(data: bytes) -> None:
    try:
        assert isinstance(parse_daily(data), RateSheet)
    except RateFeedError as refused:
        assert str(refused)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _parses_or_refuses(data)


@FUZZ
@given(st.integers(min_value=0, max_value=len(SAMPLE)), st.integers(min_value=0, max_value=200), st.binary(max_size=40))
def test_a_sample_with_a_piece_cut_out_or_replaced(at: int, cut: int, insert: bytes) -> None:
    _parses_or_refuses(SAMPLE[:at] + insert + SAMPLE[at + cut :])


@FUZZ
@given(st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-16-be", "windows-1251", "koi8-r"]), st.text(max_size=30))
def test_any_encoding_and_value(encoding: str, value: str) -> None:
    text = SAMPLE.decode("windows-1251").replace("81,4352", value)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    _parses_or_refuses(data)
