"""Unpaid orders remember the client address they were placed from (the cap on unpaid orders per client counts
by it), and marketing consents are confirmed from the address itself (double opt-in): when and from which IP.

Marketing consents given before this revision count as confirmed (their grant time and IP): they are the demo's
buyers, seeded as having agreed, and nothing in this history has sent marketing mail to a real address yet. A
production database with consents collected without confirmation would instead leave them unconfirmed and send
each buyer the confirmation e-mail (`docs/decisions.md`).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 09:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_ip", sa.String(length=45), nullable=True))
        batch_op.create_index("ix_orders_client_ip", ["client_ip"])
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirmed_ip", sa.String(length=45), nullable=True))
    op.execute(
        "UPDATE consents SET confirmed_at = granted_at, confirmed_ip = ip_address "
        "WHERE kind = 'marketing' AND confirmed_at IS NULL"
    )


def downgrade():
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("confirmed_ip")
        batch_op.drop_column("confirmed_at")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_client_ip")
        batch_op.drop_column("client_ip")
