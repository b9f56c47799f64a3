"""Query plans of the hot queries, captured from the real page code (not hand-written copies).

The page functions run once against the benchmark database while every statement they send is
recorded; each is then sent again under EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from storefront.catalog.queries import ListingFilters, get_product, list_popular_products, list_products
from storefront.search.queries import search_products, suggest_products


def _capture(session: Session, action: Callable[[], object]) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def hot_query_plans(session: Session, category_id: int, product_id: int) -> dict[str, list[dict[str, str]]]:
    """{page: [{"sql": …, "plan": …}, …]} for home, category pages, product, search and suggest."""
    pages: dict[str, Callable[[], object]] = {
        "home": lambda: list_popular_products(session),
        "category_page_1": lambda: list_products(session, [category_id], ListingFilters(), 24),
        "category_page_200": lambda: list_products(session, [category_id], ListingFilters(page=200), 24),
        "product": lambda: get_product(session, product_id),
        "search": lambda: search_products(session, "кроссовки мужские", ListingFilters(), 24),
        "suggest": lambda: suggest_products(session, "крос"),
    }
    postgres = session.get_bind().dialect.name == "postgresql"
    plans: dict[str, list[dict[str, str]]] = {}
    for page, action in pages.items():
        plans[page] = []
        for statement, parameters in _capture(session, action):
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            dbapi_connection = session.connection().connection.dbapi_connection
            assert dbapi_connection is not None  # the session's connection is open
            cursor = dbapi_connection.cursor()
            cursor.execute(prefix + statement, parameters)
            rows = cursor.fetchall()
            cursor.close()
            plan = "\n".join(str(row[0]) if postgres else str(row[-1]) for row in rows)
            plans[page].append({"sql": " ".join(statement.split())[:300], "plan": plan})
        session.rollback()
    return plans
