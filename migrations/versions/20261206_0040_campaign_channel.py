"""Campaigns get a channel (e-mail or Telegram); a Telegram recipient row keeps the chat it goes to

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06 14:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("crm_campaigns") as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=16), server_default="email", nullable=False))
        batch_op.create_check_constraint(op.f("ck_crm_campaigns_channel_known"), "channel IN ('email', 'telegram')")
    with op.batch_alter_table("crm_campaign_recipients") as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("crm_campaign_recipients") as batch_op:
        batch_op.drop_column("chat_id")
    with op.batch_alter_table("crm_campaigns") as batch_op:
        batch_op.drop_constraint(op.f("ck_crm_campaigns_channel_known"), type_="check")
        batch_op.drop_column("channel")
