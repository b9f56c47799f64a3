"""The total in Russian words under an invoice's figures: numbers, the feminine thousands and the noun forms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storefront.paperwork.words import plural_form, roubles_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("37310.00", "Тридцать семь тысяч триста десять рублей 00 копеек"),
        ("1.01", "Один рубль 01 копейка"),
        ("0.05", "Ноль рублей 05 копеек"),
        ("21.22", "Двадцать один рубль 22 копейки"),
        ("1000", "Одна тысяча рублей 00 копеек"),
        ("2000.11", "Две тысячи рублей 11 копеек"),
        ("1011.14", "Одна тысяча одиннадцать рублей 14 копеек"),
        ("3512345.99", "Три миллиона пятьсот двенадцать тысяч триста сорок пять рублей 99 копеек"),
        ("714.00", "Семьсот четырнадцать рублей 00 копеек"),
        ("1000000000.00", "Один миллиард рублей 00 копеек"),
    ],
)
def test_an_amount_is_written_as_an_accountant_writes_it(amount: str, words: str) -> None:
    assert roubles_in_words(Decimal(amount)) == words


def test_noun_forms_follow_the_last_digits() -> None:
    forms = ("рубль", "рубля", "рублей")
    assert [plural_form(n, forms) for n in (1, 2, 5, 11, 12, 14, 21, 22, 25, 111, 101)] == [
        "рубль", "рубля", "рублей", "рублей", "рублей", "рублей", "рубль", "рубля", "рублей", "рублей", "рубль",
    ]  # fmt: skip


def test_negative_or_huge_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        roubles_in_words(Decimal("-1"))
    with pytest.raises(ValueError):
        roubles_in_words(Decimal("1000000000000"))
