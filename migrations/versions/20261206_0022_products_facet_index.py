"""Facet counts read a category's listable products from one index on SQLite

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 06:25:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

LISTABLE = "status = 'active' AND price_rub_from IS NOT NULL"


def upgrade():
    # SQLite only: on PostgreSQL a B-tree entry is limited to about 2.7 kB, which a feed's attributes may exceed.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE INDEX ix_products_facets ON products "
            f"(category_id, supplier_id, moq, stock, price_rub_from, attributes) WHERE {LISTABLE}"
        )
        # Without statistics for it, SQLite's planner would pick it for listing pages as well (and sort).
        op.execute("ANALYZE ix_products_facets")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX ix_products_facets")
