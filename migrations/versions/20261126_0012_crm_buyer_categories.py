"""CRM: the categories each buyer has bought in (crm_buyer_categories), kept with the reorder statistics

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 05:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crm_buyer_categories',
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_crm_buyer_categories_buyer_id_buyers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_crm_buyer_categories_category_id_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('buyer_id', 'category_id', name=op.f('pk_crm_buyer_categories'))
    )
    with op.batch_alter_table('crm_buyer_categories', schema=None) as batch_op:
        batch_op.create_index('ix_crm_buyer_categories_category', ['category_id', 'buyer_id'], unique=False)
    # Filled by the next `flask crm recalc-reorders` (or the nightly job).


def downgrade():
    with op.batch_alter_table('crm_buyer_categories', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_buyer_categories_category')

    op.drop_table('crm_buyer_categories')
