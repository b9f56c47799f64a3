"""Document numbers: one sequence per kind of document and (Moscow) calendar year, 1, 2, 3 … without gaps.

``take_number`` writes the year's counter row FIRST (a conditional UPDATE ``last_number = last_number + 1``): on
PostgreSQL that holds the row lock until the caller's transaction ends, on SQLite the database's write lock, so
two issuers never get the same number, and the second one counts from what the first committed. A transaction
that rolls back takes its increment with it, so no number is lost; ``give_back`` returns a number taken by a
caller that then found nothing to issue (it still holds the lock, nobody can have taken a later one). The row
of a new year is inserted with ON CONFLICT DO NOTHING, so two issuers opening a year at once both go on.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storefront.db import rowcount
from storefront.documents.models import DocumentCounter

#: The kinds of documents numbered here.
UPD = "upd"


def _bump(session: Session, kind: str, year: int, by: int) -> int:
    return rowcount(
        session.execute(
            update(DocumentCounter)
            .where(DocumentCounter.kind == kind, DocumentCounter.year == year)
            .values(last_number=DocumentCounter.last_number + by)
            .execution_options(synchronize_session=False)
        )
    )


def take_number(session: Session, kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``, held (locked) until the caller's transaction ends."""
    if _bump(session, kind, year, 1) != 1:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(
            insert(DocumentCounter)
            .values(kind=kind, year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["kind", "year"])
        )
        if _bump(session, kind, year, 1) != 1:  # pragma: no cover - the row exists now, ours or another's
            raise RuntimeError(f"no counter for {kind} {year}")
    number = session.scalar(
        select(DocumentCounter.last_number).where(DocumentCounter.kind == kind, DocumentCounter.year == year)
    )
    assert number is not None
    return int(number)


def give_back(session: Session, kind: str, year: int) -> None:
    """Undo this transaction's ``take_number`` (the lock is still ours: the number was the last one)."""
    _bump(session, kind, year, -1)
