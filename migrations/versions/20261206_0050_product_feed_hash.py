"""Feed re-imports skip unchanged offers by one value: ``products.feed_hash``

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-06 20:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade():
    # NULL for every product imported before: its next re-import compares it column by column and sets it.
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_hash", sa.LargeBinary(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("feed_hash")
