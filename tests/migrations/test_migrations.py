"""Alembic: the history upgrades an empty database, matches the models, and downgrades."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.orm import Session

import wsgi
from storefront.db import Base
from storefront.search.models import is_search_engine_object
from tests.support.database import TEST_DATABASE_URL, fresh_postgres_schema, make_test_config


@pytest.fixture
def empty_database_url(tmp_path):
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with fresh_postgres_schema("mig") as url:
        yield url


def test_upgrade_creates_every_table_then_downgrade_removes_them(empty_database_url, tmp_path):
    app = wsgi.create_app(make_test_config(empty_database_url, tmp_path))
    with app.app_context():
        from storefront.extensions import db

        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {table.name for table in Base.metadata.sorted_tables} <= tables

        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        on_sqlite = db.engine.dialect.name == "sqlite"

        def include_object(obj, name, type_, reflected, compare_to):
            # The PostgreSQL GIN index exists only there; SQLite has FTS5 tables instead. The facet index is SQLite's.
            if type_ == "index" and name == "ix_products_facets":
                return on_sqlite
            return not (on_sqlite and type_ == "index" and name == "ix_product_search_document")

        def include_name(name, type_, parent_names):
            return not (type_ == "table" and is_search_engine_object(name))

        opts = {"include_object": include_object, "include_name": include_name}
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts=opts), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"

        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def test_money_survives_the_database_exactly(session):
    """Integer kopecks: a SUM in SQL is exact on both engines (SQLite NUMERIC would drift)."""
    from decimal import Decimal

    from tests.support.factories import create_category, create_product, create_supplier

    category, supplier = create_category(session), create_supplier(session)
    for _ in range(10):
        create_product(session, category, supplier, breaks=[(1, "0.10")], currency="RUB")
    raw_sum = session.execute(sa.text("SELECT SUM(unit_price) FROM price_breaks")).scalar_one()
    assert raw_sum == 100  # ten times 10 kopecks, as an integer
    assert isinstance(session.scalars(sa.select(sa.literal(1))).first(), int)
    assert Decimal(raw_sum) / 100 == Decimal("1.00")
    assert isinstance(session, Session)


def test_picture_urls_imported_before_the_pictures_table_are_queued(empty_database_url, tmp_path):
    app = wsgi.create_app(make_test_config(empty_database_url, tmp_path))
    with app.app_context():
        from storefront.extensions import db

        upgrade(revision="0013")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO categories (id, name, slug, position) VALUES (1, 'Рюкзаки', 'ryukzaki', 1)")
            )
            connection.execute(
                sa.text(
                    "INSERT INTO suppliers (id, name, slug, city, commission_bp, years_on_platform, created_at, "
                    "updated_at) VALUES (1, 'Синьхуа', 'sinkhua', '', 800, 1, :now, :now)"
                ),
                {"now": "2026-12-06 00:00:00+00:00"},
            )
            for product_id, urls in ((1, '["https://s.cn/1.jpg", "https://s.cn/2.jpg"]'), (2, None)):
                connection.execute(
                    sa.text(
                        "INSERT INTO products (id, supplier_id, category_id, sku, title, slug, description, "
                        "attributes, weight_grams, moq, status, currency, source_price_from, popularity, "
                        "image_count, picture_urls, published_at, created_at, updated_at) VALUES (:id, 1, 1, :sku, "
                        "'Рюкзак', 'ryukzak', '', '{}', 0, 1, 'active', 'RUB', 100, 0, 0, :urls, :now, :now, :now)"
                    ),
                    {"id": product_id, "sku": f"S-{product_id}", "urls": urls, "now": "2026-12-06 00:00:00+00:00"},
                )
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT product_id, position, source_url, status FROM product_pictures ORDER BY position")
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, 0, "https://s.cn/1.jpg", "pending"),
            (1, 1, "https://s.cn/2.jpg", "pending"),
        ]
        db.engine.dispose()
