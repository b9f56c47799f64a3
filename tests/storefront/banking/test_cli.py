"""``flask payment import-statement FILE``: a Russian summary (matched, to review, already imported), the same file
again says «Уже загружено», a malformed file exits 1 naming its lines and applies nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from storefront.banking.models import BankImport
from storefront.order.models import Order, PaymentStatus
from tests.storefront.banking.helpers import company_order
from tests.storefront.banking.statements import Doc, statement, statement_text


def test_the_command_imports_and_says_so_in_russian(runner, session, tmp_path) -> None:
    order, other = company_order(session, "a@example.ru"), company_order(session, "b@example.ru")
    session.commit()
    path = tmp_path / "kl_to_1c.txt"
    path.write_bytes(
        statement(
            [
                Doc("1", order.total_amount, f"Оплата {order.number}"),
                Doc("2", other.total_amount + Decimal("10.00"), f"Оплата {other.number}"),
            ]
        )
    )
    result = runner.invoke(args=["payment", "import-statement", str(path)])
    output = result.output.replace("\u00a0", " ").replace("\u202f", " ")
    assert result.exit_code == 0, output
    assert "Документов в файле: 2" in output
    assert "Сопоставлено и оплачено: 1" in output and f"{order.number}: 4 449,80 ₽" in output
    assert "На разбор: 1" in output and "п/п № 2, 4 459,80 ₽: больше суммы заказа" in output
    assert "Уже загружено: 0" in output
    session.expire_all()
    assert session.get(Order, order.id).payment_status == PaymentStatus.PAID

    again = runner.invoke(args=["payment", "import-statement", str(path)])
    assert again.exit_code == 0
    assert "Уже загружено: 2" in again.output and "Сопоставлено и оплачено: 0" in again.output


def test_a_malformed_file_exits_1_with_its_lines_and_applies_nothing(runner, session, tmp_path) -> None:
    order = company_order(session)
    session.commit()
    text = statement_text([Doc("1", order.total_amount, f"Оплата {order.number}")])
    text = text.replace("КонецДокумента\r\n", "КонецДокумента\r\nмусор без знака равенства\r\n")
    line = text.split("\r\n").index("мусор без знака равенства") + 1
    path = tmp_path / "broken.txt"
    path.write_bytes(text.encode("cp1251"))
    result = runner.invoke(args=["payment", "import-statement", str(path)])
    assert result.exit_code == 1
    assert "Ничего не загружено" in result.output
    assert f"Строка {line}: строка «мусор без знака равенства» не вида Имя=значение" in result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(BankImport)) == 0
    assert session.get(Order, order.id).payment_status == PaymentStatus.UNPAID
