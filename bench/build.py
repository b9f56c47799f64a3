"""Build the benchmark's catalogue of N products: the demo catalogue (``demo.catalogue.seed_demo``: deterministic,
about 60 leaf categories with a few big ones and a long tail, 60 suppliers, Russian titles from the word tables,
1–5 price breaks, Core bulk inserts and the search index per batch), priced from stored rates. On PostgreSQL the
GIN index of the search documents is dropped first and built once at the end, which is much faster than a million
incremental inserts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from demo.catalogue import seed_demo
from storefront.catalog.models import Product
from storefront.fx.cbr import RateQuote, RateSheet
from storefront.fx.services import store_rates


def build_catalogue(session: Session, products: int, progress=print) -> dict[str, int]:
    """Fill an empty, migrated database; returns ids the benchmark URLs need."""
    store_rates(
        session,
        RateSheet(
            date(2026, 11, 25),
            {
                code: RateQuote(code, 1, Decimal(value), Decimal(value), None, None, None)
                for code, value in (("USD", "80.0000"), ("CNY", "11.0000"))
            },
        ),
        "bench",
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("DROP INDEX IF EXISTS ix_product_search_document"))
    session.commit()
    seed_demo(session, products, progress=lambda done, total: progress(f"products: {done} of {total}"))
    progress("search index…")
    if postgres:
        session.execute(text("CREATE INDEX ix_product_search_document ON product_search USING gin (document)"))
        session.execute(text("ANALYZE"))
    else:
        session.execute(text("INSERT INTO product_fts(product_fts) VALUES ('optimize')"))
        session.execute(text("ANALYZE"))
    session.commit()
    if postgres:  # the bulk UPDATE of prices left dead rows; index-only scans need the visibility map
        engine = session.get_bind()
        assert isinstance(engine, Engine)  # the bench's sessions are bound to the engine
        with engine.connect() as autocommit:
            autocommit.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return targets(session)


def targets(session: Session) -> dict[str, int]:
    """The biggest leaf category (deep pages exist there) and a popular product."""
    category_id, _count = session.execute(
        select(Product.category_id, func.count()).group_by(Product.category_id).order_by(func.count().desc()).limit(1)
    ).one()
    product_id = session.execute(
        select(Product.id).where(Product.status == "active").order_by(Product.id).limit(1)
    ).scalar_one()
    return {"category_id": category_id, "product_id": product_id}
