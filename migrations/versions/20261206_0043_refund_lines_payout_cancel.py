"""``refund_lines``: the order lines a refund is for (a dispute's), so the ledger takes it from their suppliers
only; payout batches can be cancelled while open (``canceled`` status, when, by whom and why).

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06 13:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def _status_check(statuses: str) -> None:
    # SQLite: batch mode copies the table; the constraint is dropped by its full conventional name.
    with op.batch_alter_table("payout_batches", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payout_batches_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_payout_batches_status_known"), f"status IN ({statuses})")


def upgrade():
    op.create_table(
        "refund_lines",
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_refund_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_refund_lines_refund_id_refunds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("refund_id", "order_line_id", name=op.f("pk_refund_lines")),
    )
    with op.batch_alter_table("payout_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("canceled_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=200), nullable=True))
    _status_check("'open', 'paid', 'canceled'")


def downgrade():
    # A cancelled batch cannot be told apart afterwards: it goes with the history it belongs to.
    op.execute("DELETE FROM payout_lines WHERE batch_id IN (SELECT id FROM payout_batches WHERE status = 'canceled')")
    op.execute("DELETE FROM payout_batches WHERE status = 'canceled'")
    _status_check("'open', 'paid'")
    with op.batch_alter_table("payout_batches", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("canceled_by")
        batch_op.drop_column("canceled_at")
    op.drop_table("refund_lines")
