"""``orders.access_version``: part of every guest link to an order; staff raise it to revoke the links sent

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 11:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("access_version")
