"""``payments.method`` (card or SBP, chosen by the buyer) and the closing receipt (чек зачёта предоплаты) of a
prepaid payment, sent once when the goods are handed over: its idempotence key, YooKassa id, status and time

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-06 13:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method", sa.String(length=16), server_default="bank_card", nullable=False))
        batch_op.add_column(sa.Column("closing_receipt_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("closing_receipt_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("closing_receipt", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("closing_receipt_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("closing_receipt_error", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("closing_receipt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_payments_closing_receipt_key", ["closing_receipt_key"])


def downgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint("uq_payments_closing_receipt_key", type_="unique")
        batch_op.drop_column("closing_receipt_at")
        batch_op.drop_column("closing_receipt_error")
        batch_op.drop_column("closing_receipt_status")
        batch_op.drop_column("closing_receipt")
        batch_op.drop_column("closing_receipt_id")
        batch_op.drop_column("closing_receipt_key")
        batch_op.drop_column("method")
