"""Catalogue states only what it knows: unknown stock, supplier kind and rating are NULL; feed picture URLs

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.alter_column("rating_tenths", existing_type=sa.SmallInteger(), nullable=True)
        batch_op.alter_column("is_factory", existing_type=sa.Boolean(), nullable=True)

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column("stock", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("picture_urls", sa.JSON(), nullable=True))
    # Existing rows keep their figures: nothing says they were unknown.


def downgrade():
    # Unknown values get the old defaults back (the old schema cannot say «unknown»).
    op.execute("UPDATE products SET stock = 0 WHERE stock IS NULL")
    op.execute("UPDATE suppliers SET rating_tenths = 45 WHERE rating_tenths IS NULL")
    op.execute("UPDATE suppliers SET is_factory = true WHERE is_factory IS NULL")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("picture_urls")
        batch_op.alter_column("stock", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.alter_column("is_factory", existing_type=sa.Boolean(), nullable=False)
        batch_op.alter_column("rating_tenths", existing_type=sa.SmallInteger(), nullable=False)
