"""Product pictures: one row per feed picture URL (pending, ready with WebP derivatives, or failed)

Revision ID: 0022_product_pictures
Revises: 0013
Create Date: 2026-12-06 06:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_product_pictures"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_pictures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("source_url", sa.String(length=512), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("file_key", sa.String(length=64), nullable=True),
        sa.Column("sizes", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'ready', 'failed')", name=op.f("ck_product_pictures_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_pictures_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_pictures")),
    )
    with op.batch_alter_table("product_pictures", schema=None) as batch_op:
        batch_op.create_index("ix_product_pictures_product", ["product_id", "position"], unique=False)
        batch_op.create_index("ix_product_pictures_due", ["status", "next_attempt_at"], unique=False)
    # Products imported before this keep their picture_urls; the next import of their feed queues them.


def downgrade():
    with op.batch_alter_table("product_pictures", schema=None) as batch_op:
        batch_op.drop_index("ix_product_pictures_due")
        batch_op.drop_index("ix_product_pictures_product")
    op.drop_table("product_pictures")
