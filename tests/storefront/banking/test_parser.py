"""The 1C client-bank exchange reader: real exported samples in UTF-8 and windows-1251, cp866 by its header, and
every malformed file refused with its lines (nothing returned to apply)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from storefront.banking.parser import Problem, StatementRejected, parse_statement
from tests.storefront.banking.statements import OURS, Doc, statement, statement_text

SAMPLES = Path(__file__).parent.parent.parent / "data" / "bank_statements"


@pytest.mark.parametrize("name", ["xini1_1c_exchange.txt", "xini1_1c_exchange_cp1251.txt"])
def test_a_real_sample_reads_the_same_in_utf8_and_windows_1251(name: str) -> None:
    parsed = parse_statement((SAMPLES / name).read_bytes())
    assert parsed.encoding == ("cp1251" if "cp1251" in name else "utf-8")
    assert parsed.account == "40702810300180001774"
    [document] = parsed.documents
    assert document.number == "105"
    assert document.date == date(2015, 12, 9)
    assert document.amount == Decimal("12354.00")
    assert document.payer_name == "ОАО Крокус"
    assert document.payer_inn == "7719617469"
    assert document.payer_kpp == "771901001"
    assert document.payer_account == "40702810300180001774"
    assert document.payee_account == "40702810123111111114"
    assert document.payee_inn == "7701325469"
    assert document.purpose == "Оплата по договору. Сумма 12354-00 без налога (НДС)"


def test_a_real_bank_export_with_empty_fields_and_a_blank_line() -> None:
    [document] = parse_statement((SAMPLES / "xini1_sample2.txt").read_bytes()).documents
    assert document.amount == Decimal("0.01")
    assert document.payer_name == 'ПАО "Ростелеком"'
    assert document.received_on is None


def test_dos_encoding_is_read_as_cp866() -> None:
    data = statement([Doc("7", "10.50", "Оплата заказа MK-2026-000001")], encoding="cp866")
    parsed = parse_statement(data)
    assert parsed.encoding == "cp866"
    assert parsed.documents[0].purpose == "Оплата заказа MK-2026-000001"
    assert parsed.documents[0].payee_account == OURS


def test_a_utf8_file_with_a_bom() -> None:
    data = b"\xef\xbb\xbf" + statement_text([Doc("8", "1", "x")]).encode()
    assert parse_statement(data).documents[0].number == "8"


def _problems(text: str) -> list[tuple[int, Problem, str]]:
    with pytest.raises(StatementRejected) as caught:
        parse_statement(text.encode("cp1251"))
    return [(p.line, p.problem, p.field) for p in caught.value.problems]


def test_malformed_lines_are_all_reported_by_line_number() -> None:
    text = statement_text([Doc("1", "100.00", "a"), Doc("2", "200.00", "b")])
    lines = text.split("\r\n")
    first_amount = lines.index("Сумма=100.00")
    second_date = lines.index("Дата=04.12.2026", first_amount + 1)
    lines[first_amount] = "Сумма=сто рублей"
    lines[second_date] = "Дата=31.02.2026"
    lines.insert(3, "это не поле")
    assert _problems("\r\n".join(lines)) == [
        (4, Problem.BAD_LINE, ""),
        (first_amount + 2, Problem.BAD_AMOUNT, "Сумма"),
        (second_date + 2, Problem.BAD_DATE, "Дата"),
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("Сумма=100.00\r\n", ""), (Problem.MISSING_FIELD, "Сумма")),
        (lambda t: t.replace("Сумма=100.00", "Сумма=0.00"), (Problem.BAD_AMOUNT, "Сумма")),
        (lambda t: t.replace("Сумма=100.00", "Сумма=100.005"), (Problem.BAD_AMOUNT, "Сумма")),
        (lambda t: t.replace("Сумма=100.00", "Сумма=-5"), (Problem.BAD_AMOUNT, "Сумма")),
        (lambda t: t.replace("КонецДокумента\r\n", ""), (Problem.NOT_CLOSED, "")),
        (lambda t: t.replace("КонецФайла\r\n", ""), (Problem.NO_END_OF_FILE, "")),
        (lambda t: t + "Номер=1\r\n", (Problem.AFTER_END, "")),
        (lambda t: t.replace("КонецРасчСчет", "КонецДокумента"), (Problem.END_WITHOUT_START, "")),
        (lambda t: t.replace("ДатаПоступило=04.12.2026", "ДатаПоступило=вчера"), (Problem.BAD_DATE, "ДатаПоступило")),
        (lambda t: t.replace("Номер=1\r\n", "Номер=" + "1" * 40 + "\r\n"), (Problem.TOO_LONG, "Номер")),
    ],
)
def test_each_kind_of_malformed_file_is_refused(edit, expected) -> None:
    text = edit(statement_text([Doc("1", "100.00", "a")]))
    assert [(problem, field) for _line, problem, field in _problems(text)][:1] == [expected]


def test_not_a_statement_empty_and_undecodable_files() -> None:
    for data, problem in (
        (b"", Problem.EMPTY),
        (b"   \r\n", Problem.EMPTY),
        ("трек-номер;событие\r\n".encode(), Problem.NOT_EXCHANGE),
        (b"%PDF-1.4\n\x00\xff", Problem.NOT_EXCHANGE),
    ):
        with pytest.raises(StatementRejected) as caught:
            parse_statement(data)
        assert caught.value.problems[0].problem == problem, data
