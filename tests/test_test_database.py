"""The emptying between tests: every table empty and ids from 1 again, as in a new database, on both engines."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storefront.catalog.models import Category
from storefront.db import Base
from storefront.settlement.journal import Leg, post
from storefront.settlement.models import Account, LedgerTransaction, TransactionKind
from tests.support.database import empty_all_tables
from tests.support.factories import create_category, create_product, create_supplier


def _fill(session: Session) -> None:
    parent = create_category(session, "Обувь")
    child = create_category(session, "Кроссовки", parent=parent)  # the tree refers to itself
    create_product(session, child, create_supplier(session))
    # The ledger refuses every DELETE (a trigger on PostgreSQL): its rows must go all the same.
    post(session, TransactionKind.CAPTURE, "test-capture", [Leg(Account.PROVIDER, 100), Leg(Account.HELD, -100)])
    session.commit()


def test_every_table_is_emptied_and_ids_start_from_one_again(session: Session) -> None:
    _fill(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction)) == 1

    empty_all_tables(session)

    holding_rows = [
        table.name
        for table in Base.metadata.sorted_tables
        if session.scalar(sa.select(sa.func.count()).select_from(table))
    ]
    assert holding_rows == []
    _fill(session)
    assert session.scalar(sa.select(sa.func.min(Category.id))) == 1
    assert session.scalar(sa.select(LedgerTransaction.id)) == 1
