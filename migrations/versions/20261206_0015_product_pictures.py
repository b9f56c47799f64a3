"""Product pictures: one row per feed picture URL (pending, ready with WebP derivatives, or failed)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
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
    _queue_known_urls()


def _queue_known_urls():
    """Products imported before this keep their feed picture URLs: queue them for the download job."""
    import json
    from datetime import datetime, timezone

    connection = op.get_bind()
    products = sa.table("products", sa.column("id", sa.Integer()), sa.column("picture_urls", sa.JSON()))
    pictures = sa.table(
        "product_pictures",
        sa.column("product_id", sa.Integer()),
        sa.column("position", sa.SmallInteger()),
        sa.column("source_url", sa.String()),
        sa.column("status", sa.String()),
        sa.column("attempts", sa.SmallInteger()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(timezone.utc)
    rows = []
    query = sa.select(products.c.id, products.c.picture_urls).where(products.c.picture_urls.is_not(None))
    for product_id, urls in connection.execute(query):
        if isinstance(urls, str):
            urls = json.loads(urls)
        for position, url in enumerate(urls or []):
            rows.append(
                {
                    "product_id": product_id,
                    "position": position,
                    "source_url": url,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        if len(rows) >= 1000:
            connection.execute(sa.insert(pictures), rows)
            rows = []
    if rows:
        connection.execute(sa.insert(pictures), rows)


def downgrade():
    with op.batch_alter_table("product_pictures", schema=None) as batch_op:
        batch_op.drop_index("ix_product_pictures_due")
        batch_op.drop_index("ix_product_pictures_product")
    op.drop_table("product_pictures")
