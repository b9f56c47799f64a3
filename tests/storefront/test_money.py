from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storefront.money import (
    MoneyError,
    allocate_minor,
    convert_minor,
    from_minor,
    parse_amount,
    quantize_kopecks,
    scale_rate,
    share_minor,
    to_decimal,
    to_minor,
)


def test_quantize_rounds_half_up_not_half_even():
    assert quantize_kopecks("0.125") == Decimal("0.13")
    assert quantize_kopecks("2.665") == Decimal("2.67")
    assert quantize_kopecks("0.124999") == Decimal("0.12")


@pytest.mark.parametrize("bad", [0.1, 1.0, True, "abc", "NaN", "Infinity", None])
def test_floats_and_non_numbers_are_refused(bad):
    with pytest.raises(MoneyError):
        to_decimal(bad)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_minor_units_round_trip(minor):
    assert to_minor(from_minor(minor)) == minor


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 234,50", "1234.50"), ("1\xa0234,505", "1234.505"), ("1234.5", "1234.5"), ("  99 ", "99")],
)
def test_parse_amount_accepts_russian_input(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    ["", "1,234.50", "abc", "1.2.3", "--5", "1e3", "1E3", "1_000", "NaN", "Infinity", "-inf", "+5", "١٢", "0x10", "5-"],
)
def test_parse_amount_rejects_garbage(text):
    with pytest.raises(MoneyError):
        parse_amount(text)


def test_parse_amount_refuses_more_decimals_than_asked():
    assert parse_amount("1\u202f000,5", places=2) == Decimal("1000.5")
    with pytest.raises(MoneyError):
        parse_amount("10,505", places=2)


def test_convert_minor_rounds_half_up_to_the_step():
    factor = scale_rate(Decimal("80.5"))  # 1 USD cent → 80.5 kopecks
    assert convert_minor(1, factor) == 81  # 80.5 → 81, half up
    assert convert_minor(1000, factor, step_minor=100) == 80500
    assert convert_minor(1001, factor, step_minor=100) == 80600  # 80580.5 kopecks → 806.00 ₽
    with pytest.raises(MoneyError):
        convert_minor(-1, factor)


@given(
    st.integers(min_value=0, max_value=10**10 - 1),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=4),
    st.sampled_from([1, 100, 1000]),
)
def test_convert_minor_equals_exact_decimal_rounding(minor, rate, step):
    expected = (Decimal(minor) * rate / step).quantize(Decimal(1), rounding="ROUND_HALF_UP") * step
    assert convert_minor(minor, scale_rate(rate), step) == expected


@given(
    total=st.integers(0, 10**10),
    weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=12),
)
def test_allocate_minor_splits_to_the_unit_in_proportion(total: int, weights: list[int]) -> None:
    parts = allocate_minor(total, weights)
    assert sum(parts) == total and len(parts) == len(weights)
    whole = sum(weights)
    if whole:
        for part, weight in zip(parts, weights, strict=True):
            assert abs(part * whole - total * weight) < whole  # within one unit of the exact share
            assert weight or part == 0


def test_allocate_minor_gives_left_over_units_to_the_largest_remainders_then_the_earlier_part() -> None:
    assert allocate_minor(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate_minor(10, [3, 5, 2]) == [3, 5, 2]
    assert allocate_minor(7, [0, 0]) == [7, 0]
    assert share_minor(45_782 * 2 + 1, 1, 2) == 45_783  # half up


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30) | st.from_regex(r"-?[0-9 \xa0._,eE+-]{0,20}", fullmatch=True))
def test_parse_amount_returns_a_finite_decimal_or_refuses(text):
    try:
        value = parse_amount(text, places=2)
    except MoneyError:
        return
    assert value.is_finite() and -value.as_tuple().exponent <= 2
    assert "e" not in text.lower() and "_" not in text


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2),
    st.sampled_from([" ", "\xa0", "\u202f", ""]),
)
def test_an_amount_written_the_russian_way_reads_back(amount, separator):
    whole, _dot, kopecks = f"{amount:,.2f}".partition(".")
    assert parse_amount(whole.replace(",", separator) + "," + kopecks, places=2) == amount
