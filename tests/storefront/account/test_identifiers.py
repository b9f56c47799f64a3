"""INN, KPP, OGRN, phone, postcode and email checks."""

import pytest

from storefront.account.identifiers import (
    InvalidIdentifier,
    normalize_email,
    normalize_inn,
    normalize_kpp,
    normalize_ogrn,
    normalize_phone,
    normalize_postcode,
)


@pytest.mark.parametrize("value", ["7707083893", "500100732259", " 770708389 3 "])
def test_valid_inns_are_compacted(value):
    assert normalize_inn(value) in {"7707083893", "500100732259"}


@pytest.mark.parametrize("value", ["7707083894", "12345", "77070838931", "abcdefghij", ""])
def test_invalid_inns_are_refused(value):
    with pytest.raises(InvalidIdentifier):
        normalize_inn(value)


def test_kpp_allows_letters_in_the_reason_code_only():
    assert normalize_kpp("7707ab001") == "7707AB001"
    for bad in ("77070100", "7707010011", "AB0701001"):
        with pytest.raises(InvalidIdentifier):
            normalize_kpp(bad)


def test_ogrn_checksum():
    assert normalize_ogrn("1027700132195") == "1027700132195"
    with pytest.raises(InvalidIdentifier):
        normalize_ogrn("1027700132196")


@pytest.mark.parametrize("value", ["+7 (916) 123-45-67", "8 916 123 45 67", "89161234567", "9161234567"])
def test_russian_phones_become_e164(value):
    assert normalize_phone(value) == "+79161234567"


@pytest.mark.parametrize("value", ["+7 701 123 45 67", "123", "abc", "+1 202 555 0100"])
def test_non_russian_or_invalid_phones_are_refused(value):
    with pytest.raises(InvalidIdentifier):
        normalize_phone(value)


def test_postcode_has_six_digits():
    assert normalize_postcode(" 101000 ") == "101000"
    for bad in ("10100", "1010000", "abcdef", "001000"):
        with pytest.raises(InvalidIdentifier):
            normalize_postcode(bad)


def test_email_is_lower_cased_and_checked():
    assert normalize_email("  Ivan.Petrov@Example.RU ") == "ivan.petrov@example.ru"
    for bad in ("ivan", "ivan@", "@example.ru", "ivan @example.ru"):
        with pytest.raises(InvalidIdentifier):
            normalize_email(bad)
