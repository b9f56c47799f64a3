"""Carts keep the checkout form the buyer has typed but not sent (the draft goes with the cart)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 06:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkout_draft", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_column("checkout_draft")
