"""Closing documents: the УПД issued when an order is handed over to a company or a sole trader (one per order,
numbered per calendar year without gaps), and the per-year document counters that number them.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-06 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_counters",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("last_number >= 0", name=op.f("ck_document_counters_last_number_not_negative")),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_document_counters")),
    )
    op.create_table(
        "upd_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("vat_amount", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_upd_documents_number_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_upd_documents_order_id_orders"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upd_documents")),
        sa.UniqueConstraint("order_id", name=op.f("uq_upd_documents_order_id")),
        sa.UniqueConstraint("year", "number", name="uq_upd_documents_year_number"),
    )


def downgrade():
    op.drop_table("upd_documents")
    op.drop_table("document_counters")
