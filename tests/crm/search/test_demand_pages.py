"""«Спрос без предложения»: the demand report over a period, sorted by count, and its audited, formula-safe CSV."""

import csv
import io
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.csv_export import safe_cell
from storefront.search.demand import count_search
from tests.support.factories import make_staff
from tests.support.web import crm_login


def _counted(session: Session) -> None:
    for _ in range(3):
        count_search(session, "санки ледянки", 0, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    count_search(session, "санки ледянки", 2, datetime(2026, 12, 3, 22, 30, tzinfo=UTC))  # 4 Dec in Moscow
    count_search(session, "чехол nokia 3310", 1, datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    count_search(session, "ласты", 0, datetime(2026, 11, 1, 10, 0, tzinfo=UTC))  # before the period
    # Keys are made of letters and digits only; a row like this can only be planted, and the export must survive it.
    count_search(session, '=HYPERLINK("http://evil")', 0, datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    session.commit()


def _signed_in(client: FlaskClient, session: Session, role: str = "marketer") -> None:
    make_staff(session, role)
    session.commit()
    assert crm_login(client, f"{role}@mostik.local").status_code == 302


def test_the_report_adds_up_the_period_most_searched_first(client, session):
    _counted(session)
    _signed_in(client, session)
    page = client.get("/crm/search/demand?date_from=2026-12-01&date_to=2026-12-04").get_data(as_text=True)
    assert "Спрос без предложения" in page
    rows = page[page.index("<tbody>") :]
    assert rows.index("санки ледянки") < rows.index("чехол nokia 3310")
    assert "ласты" not in rows
    assert "<td>4</td>" in rows  # 3 + 1 searches
    assert "мало (3 поиска ничего не нашли)" in rows
    assert "01.12.2026 12:00" in rows and "04.12.2026 01:30" in rows  # Moscow time
    narrow = client.get("/crm/search/demand?date_from=2026-12-04&date_to=2026-12-04").get_data(as_text=True)
    assert "<td>1</td>" in narrow and "чехол nokia" not in narrow


def test_a_bad_period_is_a_russian_400(client, session):
    _signed_in(client, session)
    response = client.get("/crm/search/demand?date_from=2026-12-05&date_to=2026-12-01")
    assert response.status_code == 400
    assert "Период должен заканчиваться не раньше, чем начинается." in response.get_data(as_text=True)
    assert client.get("/crm/search/demand?date_from=вчера").status_code == 400
    long = client.get("/crm/search/demand?date_from=2024-01-01&date_to=2026-01-01")
    assert long.status_code == 400 and "не длиннее года" in long.get_data(as_text=True)
    assert client.get("/crm/search/demand/export.csv?date_to=2026-13-01").status_code == 400


def test_the_export_is_audited_and_formula_safe(client, session):
    _counted(session)
    _signed_in(client, session, "admin")
    response = client.get("/crm/search/demand/export.csv?date_from=2026-12-01&date_to=2026-12-04")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "Запрос",
        "Поисков",
        "Из них ничего не нашли",
        "Впервые (по Москве)",
        "Последний раз (по Москве)",
    ]
    assert rows[1] == ["санки ледянки", "4", "3", "01.12.2026 12:00", "04.12.2026 01:30"]
    assert ['\'=HYPERLINK("http://evil")', "1", "1"] == rows[2][:3] or [
        '\'=HYPERLINK("http://evil")',
        "1",
        "1",
    ] == rows[3][:3]
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.staff_email) == ("demand.export", "admin@mostik.local")
    assert entry.detail == "2026-12-01…2026-12-04: 3 rows"


def test_cells_that_spreadsheets_would_run_get_a_quote():
    assert [safe_cell(value) for value in ["=1+1", "+7", "-2", "@SUM", "\tx", "санки", 5]] == [
        "'=1+1",
        "'+7",
        "'-2",
        "'@SUM",
        "'\tx",
        "санки",
        "5",
    ]
