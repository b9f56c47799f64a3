"""The 1C client-bank exchange format (``1CClientBankExchange``) every Russian bank exports: read a statement file
into plain values, or reject it whole with every problem and its line.

The file (format 1.03, https://v8.1c.ru/tekhnologii/obmen-dannymi-i-integratsiya/standarty-i-formaty/):

    1CClientBankExchange
    ВерсияФормата=1.03
    Кодировка=Windows
    РасчСчет=40702810655000012345
    СекцияРасчСчет
    …
    КонецРасчСчет
    СекцияДокумент=Платежное поручение
    Номер=105
    Дата=09.12.2026
    Сумма=12354.00
    ПлательщикСчет=…
    ПлательщикИНН=…
    ПолучательСчет=…
    НазначениеПлатежа=Оплата заказа MK-2026-000123
    КонецДокумента
    КонецФайла

- Encoding: UTF-8 (with or without BOM) when the bytes are valid UTF-8; otherwise windows-1251
  (``Кодировка=Windows``), or cp866 when the header says ``Кодировка=DOS``.
- One ``key=value`` per line; the words ``СекцияРасчСчет``, ``КонецРасчСчет``, ``КонецДокумента``, ``КонецФайла``
  alone. Empty lines are skipped. Unknown keys are kept (banks add their own) and ignored.
- A document needs Номер, Дата (ДД.ММ.ГГГГ) and Сумма (roubles with a dot or comma, at most two decimals, above
  zero); ПлательщикСчет / ПолучательСчет fall back to ПлательщикРасчСчет / ПолучательРасчСчет.

Nothing here touches the database: ``parse_statement`` returns a ``ParsedStatement`` or raises
``StatementRejected`` with every ``LineProblem`` found (lines numbered from 1, as an editor shows them).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from decimal import Decimal

from storefront.errors import ShopError

HEADER = "1CClientBankExchange"
UTF8_BOM = b"\xef\xbb\xbf"
#: A statement larger than this many documents is refused (split it by period).
MAX_DOCUMENTS = 20_000
#: How many problems are reported at most (the rest are counted).
MAX_PROBLEMS = 50
DATE_RE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
AMOUNT_RE = re.compile(r"\d{1,13}([.,]\d{1,2})?")
#: The longest value each kept field may have (what the database stores).
FIELD_LIMITS = {
    "Номер": 32,
    "ПлательщикСчет": 34,
    "ПолучательСчет": 34,
    "ПлательщикИНН": 12,
    "ПлательщикКПП": 9,
    "ПолучательИНН": 12,
    "Плательщик": 500,
    "Получатель": 500,
    "НазначениеПлатежа": 1000,
}
#: Any other value longer than this is a broken line.
MAX_VALUE = 2000
REQUIRED = ("Номер", "Дата", "Сумма")
KEYWORDS = ("СекцияРасчСчет", "КонецРасчСчет", "КонецДокумента", "КонецФайла")


class Problem(enum.StrEnum):
    EMPTY = "empty"
    ENCODING = "encoding"
    NOT_EXCHANGE = "not_exchange"
    BAD_LINE = "bad_line"
    NESTED = "nested"
    END_WITHOUT_START = "end_without_start"
    NOT_CLOSED = "not_closed"
    NO_END_OF_FILE = "no_end_of_file"
    AFTER_END = "after_end"
    MISSING_FIELD = "missing_field"
    BAD_DATE = "bad_date"
    BAD_AMOUNT = "bad_amount"
    TOO_LONG = "too_long"
    TOO_MANY_DOCUMENTS = "too_many_documents"


@dataclass(frozen=True)
class LineProblem:
    line: int
    problem: Problem
    #: The field concerned (Сумма, Дата, …), when there is one.
    field: str = ""
    #: The offending value, shortened.
    value: str = ""


class StatementRejected(ShopError):
    """The file is not a statement we can apply: nothing was applied. ``problems`` lists why, by line."""

    def __init__(self, problems: list[LineProblem], more: int = 0) -> None:
        super().__init__("; ".join(f"{p.line}: {p.problem} {p.field} {p.value}".strip() for p in problems))
        self.problems = problems
        #: Problems found beyond ``MAX_PROBLEMS``.
        self.more = more


@dataclass(frozen=True)
class StatementDocument:
    """One payment document of the statement, as the bank wrote it."""

    line: int
    kind: str
    number: str
    date: dt.date
    amount: Decimal
    payer_name: str
    payer_inn: str
    payer_kpp: str
    payer_account: str
    payee_name: str
    payee_inn: str
    payee_account: str
    purpose: str
    received_on: dt.date | None
    written_off_on: dt.date | None


@dataclass
class ParsedStatement:
    encoding: str
    #: The account the statement is for (the header's РасчСчет), if given.
    account: str
    documents: list[StatementDocument] = field(default_factory=list)


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "…"


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in; ``UnicodeDecodeError`` when it is none of them."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if "Кодировка=DOS".encode("cp866") in data:
        return data.decode("cp866"), "cp866"
    return data.decode("cp1251"), "cp1251"


def _date(value: str) -> dt.date | None:
    """ДД.ММ.ГГГГ, a real calendar day (a bank's date has no time and no zone)."""
    found = DATE_RE.fullmatch(value.strip())
    if found is None:
        return None
    day, month, year = (int(part) for part in found.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


class _Reader:
    def __init__(self) -> None:
        self.problems: list[LineProblem] = []
        self.more = 0

    def problem(self, line: int, problem: Problem, field: str = "", value: str = "") -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(LineProblem(line, problem, field, _short(value)))
        else:
            self.more += 1

    def document(self, start: int, kind: str, fields: dict[str, tuple[int, str]]) -> StatementDocument | None:
        ok = True
        for name in REQUIRED:
            if not fields.get(name, (0, ""))[1].strip():
                self.problem(start, Problem.MISSING_FIELD, name)
                ok = False

        def value(*names: str) -> str:
            for name in names:
                found = fields.get(name)
                if found and found[1].strip():
                    return found[1].strip()
            return ""

        def line_of(name: str) -> int:
            return fields.get(name, (start, ""))[0]

        on: dt.date | None = None
        if fields.get("Дата", (0, ""))[1].strip():
            on = _date(fields["Дата"][1])
            if on is None:
                self.problem(line_of("Дата"), Problem.BAD_DATE, "Дата", fields["Дата"][1])
                ok = False
        amount: Decimal | None = None
        raw_amount = fields.get("Сумма", (0, ""))[1].strip()
        if raw_amount:
            if AMOUNT_RE.fullmatch(raw_amount) and Decimal(raw_amount.replace(",", ".")) > 0:
                amount = Decimal(raw_amount.replace(",", ".")).quantize(Decimal("0.01"))
            else:
                self.problem(line_of("Сумма"), Problem.BAD_AMOUNT, "Сумма", raw_amount)
                ok = False
        dates: dict[str, dt.date | None] = {}
        for name in ("ДатаПоступило", "ДатаСписано"):
            raw = value(name)
            dates[name] = _date(raw) if raw else None
            if raw and dates[name] is None:
                self.problem(line_of(name), Problem.BAD_DATE, name, raw)
                ok = False
        purpose = value("НазначениеПлатежа") or " ".join(
            value(f"НазначениеПлатежа{index}") for index in range(1, 7) if value(f"НазначениеПлатежа{index}")
        )
        kept = {
            "Номер": value("Номер"),
            "ПлательщикСчет": value("ПлательщикСчет", "ПлательщикРасчСчет"),
            "ПолучательСчет": value("ПолучательСчет", "ПолучательРасчСчет"),
            "ПлательщикИНН": value("ПлательщикИНН"),
            "ПлательщикКПП": value("ПлательщикКПП"),
            "ПолучательИНН": value("ПолучательИНН"),
            "Плательщик": value("Плательщик1", "Плательщик"),
            "Получатель": value("Получатель1", "Получатель"),
            "НазначениеПлатежа": purpose,
        }
        for name, limit in FIELD_LIMITS.items():
            if len(kept[name]) > limit:
                self.problem(line_of(name), Problem.TOO_LONG, name, kept[name])
                ok = False
        if not ok or on is None or amount is None:
            return None
        return StatementDocument(
            line=start,
            kind=kind,
            number=kept["Номер"],
            date=on,
            amount=amount,
            payer_name=kept["Плательщик"],
            payer_inn=kept["ПлательщикИНН"],
            payer_kpp=kept["ПлательщикКПП"],
            payer_account=kept["ПлательщикСчет"],
            payee_name=kept["Получатель"],
            payee_inn=kept["ПолучательИНН"],
            payee_account=kept["ПолучательСчет"],
            purpose=purpose,
            received_on=dates["ДатаПоступило"],
            written_off_on=dates["ДатаСписано"],
        )


def parse_statement(data: bytes) -> ParsedStatement:
    """Read the whole file; raise ``StatementRejected`` listing every problem (then nothing may be applied)."""
    if not data.strip():
        raise StatementRejected([LineProblem(1, Problem.EMPTY)])
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError:
        raise StatementRejected([LineProblem(1, Problem.ENCODING)]) from None
    lines = text.splitlines()
    first = next((index for index, line in enumerate(lines) if line.strip()), 0)
    if lines[first].strip().lstrip("\ufeff") != HEADER:
        raise StatementRejected([LineProblem(first + 1, Problem.NOT_EXCHANGE, value=lines[first].strip())])
    reader = _Reader()
    statement = ParsedStatement(encoding=encoding, account="")
    section: str | None = None  # "account" or "document"
    start = 0
    kind = ""
    fields: dict[str, tuple[int, str]] = {}
    ended_at = 0
    for index in range(first + 1, len(lines)):
        number = index + 1
        line = lines[index].strip()
        if not line:
            continue
        if ended_at:
            reader.problem(number, Problem.AFTER_END, value=line)
            break
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals and key not in KEYWORDS:
            reader.problem(number, Problem.BAD_LINE, value=line)
            continue
        if len(value) > MAX_VALUE:
            reader.problem(number, Problem.TOO_LONG, key, value)
            continue
        if key in ("СекцияРасчСчет", "СекцияДокумент"):
            if section is not None:
                reader.problem(number, Problem.NESTED, value=line)
            section = "account" if key == "СекцияРасчСчет" else "document"
            start, kind, fields = number, value.strip(), {}
        elif key == "КонецРасчСчет" or key == "КонецДокумента":
            wanted = "account" if key == "КонецРасчСчет" else "document"
            if section != wanted:
                reader.problem(number, Problem.END_WITHOUT_START, value=line)
            elif wanted == "document":
                document = reader.document(start, kind, fields)
                if document is not None:
                    statement.documents.append(document)
                    if len(statement.documents) > MAX_DOCUMENTS:
                        reader.problem(number, Problem.TOO_MANY_DOCUMENTS, value=str(MAX_DOCUMENTS))
                        break
            section = None
        elif key == "КонецФайла":
            if section is not None:
                reader.problem(start, Problem.NOT_CLOSED, value=lines[start - 1].strip())
                section = None
            ended_at = number
        elif section == "document":
            fields.setdefault(key, (number, value))
        elif section is None and key == "РасчСчет" and not statement.account:
            statement.account = value.strip()
    if section is not None:
        reader.problem(start, Problem.NOT_CLOSED, value=lines[start - 1].strip())
    if not ended_at and not reader.problems:
        reader.problem(len(lines), Problem.NO_END_OF_FILE)
    if reader.problems:
        raise StatementRejected(reader.problems, reader.more)
    return statement
