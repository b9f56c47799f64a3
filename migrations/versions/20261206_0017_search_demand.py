"""Search demand: queries that found nothing or little, counted per Moscow day

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 06:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_demand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("empty_searches", sa.Integer(), nullable=False),
        sa.Column("last_results", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_demand")),
        sa.UniqueConstraint("day", "query", name="uq_search_demand_day_query"),
    )


def downgrade():
    op.drop_table("search_demand")
