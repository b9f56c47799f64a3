"""Orders keep the СДЭК pickup point chosen at checkout

Revision ID: 0020_pickup_points
Revises: 0013
Create Date: 2026-12-06 06:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_pickup_points"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pickup_point", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("pickup_point")
