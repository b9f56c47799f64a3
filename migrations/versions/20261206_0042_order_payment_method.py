"""``orders.payment_method``: online (card or SBP through YooKassa) or by bank transfer against the invoice

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06 13:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_method", sa.String(length=16), server_default="card", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_orders_payment_method_known"), "payment_method IN ('card', 'bank_transfer')"
        )


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_payment_method_known"), type_="check")
        batch_op.drop_column("payment_method")
