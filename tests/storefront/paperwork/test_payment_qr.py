"""The invoice's payment QR code (ГОСТ Р 56042-2014): the payload field by field, the standard's limits, and the
PNG read back by a QR decoder to the same fields."""

from __future__ import annotations

from io import BytesIO

import pytest
import zxingcpp
from PIL import Image

from storefront.paperwork.payment_qr import PaymentFields, clean_value, parse_payload, payment_payload, qr_png

FIELDS = PaymentFields(
    name="ООО «Мостик»",
    personal_acc="40702810655000012345",
    bank_name="АО «Демо-Банк», г. Санкт-Петербург",
    bic="044030999",
    corresp_acc="30101810400000000999",
    payee_inn="7801123455",
    kpp="780101001",
    purpose="Оплата по счёту № MK-2026-000042 от 06.12.2026 за товары, в т.ч. НДС 22\u00a0% 1\u00a0234,56\u00a0₽",
    sum_kopecks=740_740,
)


def test_the_payload_is_st00012_with_every_field_in_the_standards_order() -> None:
    payload = payment_payload(FIELDS)

    assert payload == (
        "ST00012|Name=ООО «Мостик»|PersonalAcc=40702810655000012345|BankName=АО «Демо-Банк», г. Санкт-Петербург"
        "|BIC=044030999|CorrespAcc=30101810400000000999|PayeeINN=7801123455|KPP=780101001"
        "|Purpose=Оплата по счёту № MK-2026-000042 от 06.12.2026 за товары, в т.ч. НДС 22 % 1 234,56 ₽|Sum=740740"
    )
    fields = parse_payload(payload)
    assert list(fields) == [
        "Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc", "PayeeINN", "KPP", "Purpose", "Sum",
    ]  # fmt: skip
    assert fields["Sum"] == "740740"  # kopecks, no separator, no decimal point


def test_the_separator_and_line_breaks_never_reach_a_value() -> None:
    tricky = PaymentFields(
        **{**FIELDS.__dict__, "name": "ООО «A|B»\nфилиал", "purpose": "Оплата|Sum=1\r\nвсё", "bank_name": "Банк | №1"}
    )
    fields = parse_payload(payment_payload(tricky))

    assert fields["Name"] == "ООО «A/B» филиал"
    assert fields["Purpose"] == "Оплата/Sum=1 всё"
    assert fields["BankName"] == "Банк / №1"
    assert fields["Sum"] == "740740"  # the purpose's «Sum=1» did not become a field
    assert clean_value("a\u00a0b\u202fc\t d") == "a b c d"


def test_long_text_is_cut_to_the_standards_limits() -> None:
    long = PaymentFields(**{**FIELDS.__dict__, "name": "Я" * 300, "bank_name": "Б" * 80, "purpose": "П" * 400})
    fields = parse_payload(payment_payload(long))

    assert (len(fields["BankName"]), len(fields["Purpose"])) == (45, 210)
    assert 0 < len(fields["Name"]) < 160 and set(fields["Name"]) == {"Я"}
    mandatory = "|".join(f"{key}={fields[key]}" for key in ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"))
    assert len(mandatory.encode("utf-8")) <= 300  # the standard's bound on the mandatory block
    latin = parse_payload(payment_payload(PaymentFields(**{**FIELDS.__dict__, "name": "N" * 300, "bank_name": "Bank"})))
    assert len(latin["Name"]) == 160


@pytest.mark.parametrize(
    "change",
    [
        {"personal_acc": "4070281065500001234"},  # 19 digits
        {"corresp_acc": "3010181040000000099X"},
        {"bic": "04403099"},
        {"sum_kopecks": -1},
        {"name": " \n "},
    ],
)
def test_a_wrong_account_bik_or_sum_is_refused_not_encoded(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        payment_payload(PaymentFields(**{**FIELDS.__dict__, **change}))


def test_another_format_is_not_read_as_ours() -> None:
    with pytest.raises(ValueError):
        parse_payload("ST00011|Name=x")


def test_the_png_decodes_back_to_the_same_fields() -> None:
    payload = payment_payload(FIELDS)

    decoded = zxingcpp.read_barcodes(Image.open(BytesIO(qr_png(payload))))

    assert [code.text for code in decoded] == [payload]
    assert parse_payload(decoded[0].text)["PersonalAcc"] == "40702810655000012345"
