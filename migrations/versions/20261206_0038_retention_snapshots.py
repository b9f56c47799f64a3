"""``crm_retention_snapshots``: the retention page's figures, taken nightly instead of computed per visit

Revision ID: 0038
Revises: 0029
Create Date: 2026-12-06 13:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0038"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "crm_retention_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_retention_snapshots")),
    )
    op.create_index(op.f("ix_crm_retention_snapshots_taken_at"), "crm_retention_snapshots", ["taken_at"])


def downgrade():
    op.drop_index(op.f("ix_crm_retention_snapshots_taken_at"), table_name="crm_retention_snapshots")
    op.drop_table("crm_retention_snapshots")
