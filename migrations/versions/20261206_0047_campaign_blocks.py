"""Campaign block editor: ``crm_campaigns.body_blocks`` and the saved block sets ``crm_campaign_templates``

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-06 13:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_blocks", sa.JSON(), nullable=True))
    op.create_table(
        "crm_campaign_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_crm_campaign_templates_created_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_campaign_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_crm_campaign_templates_name")),
    )


def downgrade():
    op.drop_table("crm_campaign_templates")
    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.drop_column("body_blocks")
