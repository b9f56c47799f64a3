"""Buyer protection: disputes with their lines, message thread and photos; ``orders.under_dispute`` (the flag the
auto-confirmation and a new dispute race for, by conditional UPDATEs)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("under_dispute", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("refund_amount", sa.BigInteger(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('inspection', 'quality')", name=op.f("ck_disputes_kind_known")),
        sa.CheckConstraint(
            "reason IN ('not_received', 'wrong_item', 'wrong_quantity', 'defect', 'not_as_described')",
            name=op.f("ck_disputes_reason_known"),
        ),
        sa.CheckConstraint("status IN ('open', 'awaiting_return', 'closed')", name=op.f("ck_disputes_status_known")),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('full_refund', 'partial_refund', 'return_refund', 'rejected')",
            name=op.f("ck_disputes_decision_known"),
        ),
        sa.CheckConstraint("refund_amount IS NULL OR refund_amount > 0", name=op.f("ck_disputes_refund_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_disputes_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_disputes_refund_id_refunds"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_disputes_status_due", ["status", "answer_due_at"], unique=False)
    op.create_table(
        "dispute_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_dispute_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["disputes.id"], name=op.f("fk_dispute_lines_dispute_id_disputes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_dispute_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_lines")),
        sa.UniqueConstraint("dispute_id", "order_line_id", name="uq_dispute_lines_line"),
    )
    with op.batch_alter_table("dispute_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_lines_dispute_id"), ["dispute_id"], unique=False)
    op.create_table(
        "dispute_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["disputes.id"], name=op.f("fk_dispute_messages_dispute_id_disputes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_messages")),
    )
    with op.batch_alter_table("dispute_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_messages_dispute_id"), ["dispute_id"], unique=False)
    op.create_table(
        "dispute_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=40), nullable=False),
        sa.Column("content_type", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["dispute_messages.id"],
            name=op.f("fk_dispute_photos_message_id_dispute_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_photos")),
        sa.UniqueConstraint("file_name", name=op.f("uq_dispute_photos_file_name")),
    )
    with op.batch_alter_table("dispute_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_photos_message_id"), ["message_id"], unique=False)


def downgrade():
    op.drop_table("dispute_photos")
    op.drop_table("dispute_messages")
    op.drop_table("dispute_lines")
    op.drop_table("disputes")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("under_dispute")
