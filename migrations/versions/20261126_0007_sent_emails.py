"""sent_emails: the log of e-mail the shop sent (the CRM buyer timeline reads it)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 01:33:45.782353

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_sent_emails_buyer_id_buyers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_emails'))
    )
    with op.batch_alter_table('sent_emails', schema=None) as batch_op:
        batch_op.create_index('ix_sent_emails_buyer', ['buyer_id', 'sent_at'], unique=False)



def downgrade():
    with op.batch_alter_table('sent_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_sent_emails_buyer')

    op.drop_table('sent_emails')
