"""A rouble amount in Russian words, as invoices and УПД write it under the total: «Тридцать семь тысяч триста
десять рублей 00 копеек». Whole roubles in words (thousands are feminine: «одна тысяча», «две тысячи»), kopecks in
two digits; the noun agrees with the number (1 рубль, 2 рубля, 5 рублей; 11–14 always the «many» form)."""

from __future__ import annotations

from decimal import Decimal

from storefront.money import to_minor

_UNITS_MASCULINE = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_UNITS_FEMININE = ("", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_TEENS = (
    "десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать",
    "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать",
)  # fmt: skip
_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто")
_HUNDREDS = (
    "", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот",
)  # fmt: skip
#: (one, few, many) forms and whether the group's units are feminine, from the lowest group up.
_GROUPS = (
    (("рубль", "рубля", "рублей"), False),
    (("тысяча", "тысячи", "тысяч"), True),
    (("миллион", "миллиона", "миллионов"), False),
    (("миллиард", "миллиарда", "миллиардов"), False),
)


def plural_form(number: int, forms: tuple[str, str, str]) -> str:
    """The form of a noun after ``number``: 1, 21 → one; 2–4, 22–24 → few; 0, 5–20, 11–14 → many."""
    if number % 100 in range(11, 15):
        return forms[2]
    last = number % 10
    if last == 1:
        return forms[0]
    if last in (2, 3, 4):
        return forms[1]
    return forms[2]


def _triple(number: int, feminine: bool) -> list[str]:
    words = [_HUNDREDS[number // 100]]
    rest = number % 100
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        words.append(_TENS[rest // 10])
        words.append((_UNITS_FEMININE if feminine else _UNITS_MASCULINE)[rest % 10])
    return [word for word in words if word]


def roubles_in_words(amount: Decimal) -> str:
    """«Тридцать семь тысяч триста десять рублей 00 копеек»; amounts below a trillion roubles, not negative."""
    minor = to_minor(amount)
    if minor < 0:
        raise ValueError("a negative amount is not written in words")
    roubles, kopecks = divmod(minor, 100)
    if roubles >= 1000 ** len(_GROUPS):
        raise ValueError("too large an amount to write in words")
    words: list[str] = []
    for power in range(len(_GROUPS) - 1, -1, -1):
        group = roubles // 1000**power % 1000
        forms, feminine = _GROUPS[power]
        if group:
            words.extend(_triple(group, feminine))
            words.append(plural_form(group, forms))
        elif power == 0:
            if not roubles:
                words.append("ноль")
            words.append(forms[2])
    text = " ".join(words)
    kopeck_word = plural_form(kopecks, ("копейка", "копейки", "копеек"))
    return f"{text[0].upper()}{text[1:]} {kopecks:02d} {kopeck_word}"
