"""Statements in the 1C client-bank exchange format, built for the tests (the real samples are in
``tests/data/bank_statements``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

OURS = "40702810655000012345"
#: The buyer company of ``create_buyer(company=True)`` and its account.
PAYER_INN = "7707083893"
PAYER_ACCOUNT = "40702810500000000777"


@dataclass(frozen=True)
class Doc:
    number: str
    amount: Decimal | str
    purpose: str
    payer_inn: str = PAYER_INN
    payer_account: str = PAYER_ACCOUNT
    payee_account: str = OURS
    on: date = date(2026, 12, 4)


def statement_text(docs: list[Doc], *, encoding_word: str = "Windows") -> str:
    lines = [
        "1CClientBankExchange",
        "ВерсияФормата=1.03",
        f"Кодировка={encoding_word}",
        "Отправитель=Сбербанк Бизнес Онлайн",
        "ДатаСоздания=05.12.2026",
        "ДатаНачала=01.12.2026",
        "ДатаКонца=05.12.2026",
        f"РасчСчет={OURS}",
        "Документ=Платежное поручение",
        "СекцияРасчСчет",
        "ДатаНачала=01.12.2026",
        "ДатаКонца=05.12.2026",
        f"РасчСчет={OURS}",
        "НачальныйОстаток=0.00",
        "КонецРасчСчет",
    ]
    for doc in docs:
        lines += [
            "СекцияДокумент=Платежное поручение",
            f"Номер={doc.number}",
            f"Дата={doc.on:%d.%m.%Y}",
            f"Сумма={Decimal(doc.amount):.2f}",
            f"ПлательщикСчет={doc.payer_account}",
            f'Плательщик=ИНН {doc.payer_inn} ООО "Ромашка"',
            f"ПлательщикИНН={doc.payer_inn}",
            'Плательщик1=ООО "Ромашка"',
            "ПлательщикКПП=770701001",
            f"ПолучательСчет={doc.payee_account}",
            'Получатель=ООО "Мостик"',
            "ПолучательИНН=7801123455",
            f"ДатаПоступило={doc.on:%d.%m.%Y}",
            f"НазначениеПлатежа={doc.purpose}",
            "КонецДокумента",
        ]
    lines.append("КонецФайла")
    return "\r\n".join(lines) + "\r\n"


def statement(docs: list[Doc], encoding: str = "cp1251") -> bytes:
    word = {"cp1251": "Windows", "utf-8": "Windows", "cp866": "DOS"}[encoding]
    return statement_text(docs, encoding_word=word).encode(encoding)
