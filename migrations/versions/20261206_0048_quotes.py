"""Quotes (коммерческие предложения) and their lines: negotiated prices, validity, approval below the price floor

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-06 13:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approval", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("tier_code", sa.String(length=32), nullable=True),
        sa.Column("tier_discount_bp", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'sent', 'accepted', 'expired', 'withdrawn')", name=op.f("ck_quotes_status_known")
        ),
        sa.CheckConstraint("approval IN ('none', 'pending', 'approved')", name=op.f("ck_quotes_approval_known")),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["buyers.id"], name=op.f("fk_quotes_buyer_id_buyers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_quotes_order_id_orders"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint("order_id", name=op.f("uq_quotes_order_id")),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotes_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index("ix_quotes_status_valid_until", ["status", "valid_until"], unique=False)
    op.create_table(
        "quote_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("list_price", sa.BigInteger(), nullable=False),
        sa.Column("tier_price", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_quote_lines_quantity_positive")),
        sa.CheckConstraint(
            "unit_price > 0 AND list_price > 0 AND tier_price > 0", name=op.f("ck_quote_lines_prices_positive")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_quote_lines_product_id_products"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_quote_lines_quote_id_quotes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_lines")),
    )
    with op.batch_alter_table("quote_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_lines_quote_id"), ["quote_id"], unique=False)


def downgrade():
    with op.batch_alter_table("quote_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_lines_quote_id"))
    op.drop_table("quote_lines")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_status_valid_until")
        batch_op.drop_index(batch_op.f("ix_quotes_buyer_id"))
    op.drop_table("quotes")
