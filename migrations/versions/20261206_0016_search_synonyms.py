"""Search synonyms kept in the CRM, layered over the built-in list

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 06:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("is_disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonyms")),
        sa.UniqueConstraint("word", name=op.f("uq_search_synonyms_word")),
    )
    # No rows are seeded: the built-in list (storefront/search/data/synonyms.json) stays the default,
    # and a row only adds, replaces or switches off one of its entries.


def downgrade():
    op.drop_table("search_synonyms")
