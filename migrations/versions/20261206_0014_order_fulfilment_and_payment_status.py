"""Orders keep the goods' status (new → confirmed → packed → shipped → delivered → completed, or canceled) apart
from the money's (unpaid, paid, partially refunded, refunded); history rows say which kind they are, with the
payment or refund reference and amount instead of machine notes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:20:00

"""

import re
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD_STATUSES = "'awaiting_payment', 'paid', 'shipped', 'delivered', 'completed', 'canceled', 'refunded', 'partially_refunded'"
NEW_STATUSES = "'new', 'confirmed', 'packed', 'shipped', 'delivered', 'completed', 'canceled'"
PAYMENT_STATUSES = "'unpaid', 'paid', 'partially_refunded', 'refunded'"
MONEY_STEPS = "('paid', 'refunded', 'partially_refunded')"
#: The machine notes the old code wrote, as the reason codes the new code writes.
NOTES = {
    "not paid in time": "expired",
    "receipt confirmed by the buyer": "buyer_confirmed",
    "completed automatically after delivery": "auto_completed",
    "payment received": "",
}
REFUND_NOTE = re.compile(r"^refund (\S*): (-?\d+(?:\.\d+)?)$")


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_status_known"), type_="check")
        batch_op.add_column(sa.Column("payment_status", sa.String(length=24), nullable=False, server_default="unpaid"))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("order_status_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=12), nullable=False, server_default="fulfilment"))
        batch_op.add_column(sa.Column("reference", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("amount", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))

    # The money: from the old single status (a canceled order with paid_at was paid and never refunded).
    op.execute(
        "UPDATE orders SET payment_status = CASE status"
        " WHEN 'awaiting_payment' THEN 'unpaid' WHEN 'refunded' THEN 'refunded'"
        " WHEN 'partially_refunded' THEN 'partially_refunded'"
        " WHEN 'canceled' THEN CASE WHEN paid_at IS NULL THEN 'unpaid' ELSE 'paid' END"
        " ELSE 'paid' END"
    )
    # The goods of a refunded order: where they were before the refund (the history says); a full refund of
    # goods never shipped ended the order under the old rules, so it is canceled now.
    op.execute(
        "UPDATE orders SET status = COALESCE((SELECT h.to_status FROM order_status_changes h"
        " WHERE h.order_id = orders.id AND h.to_status IN ('shipped', 'delivered', 'completed')"
        " ORDER BY h.id DESC LIMIT 1), 'new') WHERE status IN ('refunded', 'partially_refunded')"
    )
    op.execute("UPDATE orders SET status = 'new' WHERE status IN ('awaiting_payment', 'paid')")
    op.execute(
        "UPDATE orders SET status = 'canceled', canceled_at = COALESCE(canceled_at, updated_at)"
        " WHERE status = 'new' AND payment_status = 'refunded'"
    )
    op.execute(
        "UPDATE orders SET shipped_at = (SELECT MIN(h.created_at) FROM order_status_changes h"
        " WHERE h.order_id = orders.id AND h.to_status = 'shipped') WHERE status IN ('shipped', 'delivered', 'completed')"
    )

    # History: payment steps are their own kind, and say which payment state they left.
    op.execute(f"UPDATE order_status_changes SET kind = 'payment' WHERE to_status IN {MONEY_STEPS}")
    op.execute(
        "UPDATE order_status_changes SET from_status = CASE WHEN to_status = 'paid' THEN 'unpaid'"
        " WHEN EXISTS (SELECT 1 FROM order_status_changes e WHERE e.order_id = order_status_changes.order_id"
        " AND e.to_status = 'partially_refunded' AND e.id < order_status_changes.id) THEN 'partially_refunded'"
        " ELSE 'paid' END WHERE kind = 'payment'"
    )
    op.execute(
        "UPDATE order_status_changes SET to_status = 'new' WHERE kind = 'fulfilment' AND to_status = 'awaiting_payment'"
    )
    op.execute(
        "UPDATE order_status_changes SET from_status = COALESCE((SELECT e.to_status FROM order_status_changes e"
        " WHERE e.order_id = order_status_changes.order_id AND e.kind = 'fulfilment'"
        " AND e.id < order_status_changes.id ORDER BY e.id DESC LIMIT 1), 'new')"
        " WHERE kind = 'fulfilment' AND from_status IS NOT NULL"
    )
    op.execute(
        "UPDATE order_status_changes SET amount = (SELECT o.total_amount FROM orders o"
        " WHERE o.id = order_status_changes.order_id) WHERE kind = 'payment' AND to_status = 'paid'"
    )
    op.execute(
        "UPDATE order_status_changes SET reference = SUBSTR(note, 9), note = '' WHERE note LIKE 'payment %'"
        " AND note <> 'payment received'"
    )
    for old, new in NOTES.items():
        op.execute(sa.text("UPDATE order_status_changes SET note = :new WHERE note = :old").bindparams(old=old, new=new))
    connection = op.get_bind()
    refunds = connection.execute(sa.text("SELECT id, note FROM order_status_changes WHERE note LIKE 'refund %'"))
    for row_id, note in refunds.fetchall():
        match = REFUND_NOTE.match(note)
        if match:
            kopecks = int(Decimal(match.group(2)) * 100)
            connection.execute(
                sa.text("UPDATE order_status_changes SET reference = :ref, amount = :amount, note = '' WHERE id = :id"),
                {"ref": match.group(1)[:64], "amount": kopecks, "id": row_id},
            )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_check_constraint("status_known", f"status IN ({NEW_STATUSES})")
        batch_op.create_check_constraint("payment_status_known", f"payment_status IN ({PAYMENT_STATUSES})")
        batch_op.create_index("ix_orders_status_created", ["status", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_created")
        batch_op.drop_constraint(op.f("ck_orders_payment_status_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_orders_status_known"), type_="check")
    # One status again: the money's, where it says more than «paid»; the goods' otherwise.
    op.execute(
        "UPDATE orders SET status = CASE"
        " WHEN payment_status IN ('refunded', 'partially_refunded') THEN payment_status"
        " WHEN status = 'new' AND payment_status = 'unpaid' THEN 'awaiting_payment'"
        " WHEN status IN ('new', 'confirmed', 'packed') THEN 'paid'"
        " ELSE status END"
    )
    op.execute("UPDATE order_status_changes SET to_status = 'awaiting_payment' WHERE to_status = 'new'")
    op.execute("UPDATE order_status_changes SET from_status = 'paid' WHERE from_status IN ('new', 'unpaid')")
    op.execute("DELETE FROM order_status_changes WHERE to_status IN ('confirmed', 'packed')")
    with op.batch_alter_table("order_status_changes", schema=None) as batch_op:
        batch_op.drop_column("staff_id")
        batch_op.drop_column("amount")
        batch_op.drop_column("reference")
        batch_op.drop_column("kind")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("shipped_at")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("payment_status")
        batch_op.create_check_constraint("status_known", f"status IN ({OLD_STATUSES})")
