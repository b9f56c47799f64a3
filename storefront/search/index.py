"""Keeping the search index in step with the products table.

Every ORM flush that inserts, changes or deletes a product re-indexes it (``after_flush``), so
services and tests need do nothing. Bulk Core writes (the demo seed, the bench, the feed import) call
``index_products``, ``insert_search_rows`` or ``rebuild_search_index`` themselves. Both engines get the
same term rows; PostgreSQL then computes its weighted tsvector in SQL, SQLite's FTS5 triggers copy
the rows into ``product_fts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.orm import Session, attributes

from storefront.catalog.models import Product
from storefront.search.models import ProductSearch
from storefront.search.normalise import document_terms

CHUNK = 2000
#: Product fields the index reads; a change to any of them re-indexes the product.
INDEXED_FIELDS = ("title", "title_en", "sku", "description", "attributes")

#: PostgreSQL: the weighted tsvector (title A, attributes B, description C) is computed as the row goes in.
_POSTGRES_INSERT = text(
    "INSERT INTO product_search (product_id, title_terms, attribute_terms, description_terms, document)"
    " VALUES (:product_id, :title_terms, :attribute_terms, :description_terms,"
    " setweight(to_tsvector('simple', CAST(:title_terms AS text)), 'A')"
    " || setweight(to_tsvector('simple', CAST(:attribute_terms AS text)), 'B')"
    " || setweight(to_tsvector('simple', CAST(:description_terms AS text)), 'C'))"
)


def _attribute_text(attributes: Any) -> str:
    if not isinstance(attributes, dict):
        return ""
    return " ".join(f"{key} {value}" for key, value in attributes.items())


def search_row(product_id: int, title: str, title_en: str | None, sku: str, description: str, attrs: Any) -> dict:
    """The index row of one product (pure: used by bulk loaders that already hold the values)."""
    return {
        "product_id": product_id,
        "title_terms": document_terms(f"{title} {title_en or ''} {sku}"),
        "attribute_terms": document_terms(_attribute_text(attrs)),
        "description_terms": document_terms(description or ""),
    }


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def index_products(session: Session, product_ids: Iterable[int]) -> int:
    """(Re)index the given products; ids that no longer exist are removed. Returns rows written.

    Uses Core statements on the session's connection, so it is safe inside a flush. The caller commits.
    """
    connection = session.connection()
    table = ProductSearch.__table__
    products = Product.__table__
    written = 0
    for chunk in _chunks(sorted(set(product_ids))):
        connection.execute(delete(table).where(table.c.product_id.in_(chunk)))
        rows = connection.execute(
            select(
                products.c.id,
                products.c.title,
                products.c.title_en,
                products.c.sku,
                products.c.description,
                products.c.attributes,
            ).where(products.c.id.in_(chunk))
        ).all()
        written += insert_search_rows(session, [search_row(*row) for row in rows])
    return written


def insert_search_rows(session: Session, rows: Sequence[dict]) -> int:
    """Insert ``search_row`` rows of products that have none (new ones: no delete, no re-read). Returns rows written.

    Core statements on the session's connection, like ``index_products``; the caller commits.
    """
    if not rows:
        return 0
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    connection.execute(_POSTGRES_INSERT if postgres else insert(ProductSearch.__table__), list(rows))
    return len(rows)


def rebuild_search_index(session: Session) -> int:
    """Index every product from scratch (after bulk loads). The caller commits."""
    session.execute(delete(ProductSearch))
    ids = session.scalars(select(Product.id).order_by(Product.id)).all()
    return index_products(session, ids)


def _needs_reindex(product: Product) -> bool:
    return any(attributes.get_history(product, name).has_changes() for name in INDEXED_FIELDS)


@event.listens_for(Session, "after_flush")
def _reindex_flushed_products(session: Session, flush_context: Any) -> None:
    changed = [obj.id for obj in session.new if isinstance(obj, Product)]
    changed += [obj.id for obj in session.dirty if isinstance(obj, Product) and _needs_reindex(obj)]
    gone = [obj.id for obj in session.deleted if isinstance(obj, Product)]
    if changed:
        index_products(session, changed)
    if gone:
        table = ProductSearch.__table__
        session.connection().execute(delete(table).where(table.c.product_id.in_(gone)))
