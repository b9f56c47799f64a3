"""``buyers.telegram`` and ``buyers.whatsapp``: the messengers a buyer gave, for the account manager's links

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-06 13:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("whatsapp", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.drop_column("whatsapp")
        batch_op.drop_column("telegram")
