"""search index and feed offer ids: product_search rows, GIN tsvector on PostgreSQL, FTS5 on SQLite

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

FTS_TRIGGERS = {
    'product_search_ai': """
        CREATE TRIGGER product_search_ai AFTER INSERT ON product_search BEGIN
          INSERT INTO product_fts(rowid, title_terms, attribute_terms, description_terms)
          VALUES (new.product_id, new.title_terms, new.attribute_terms, new.description_terms);
        END""",
    'product_search_ad': """
        CREATE TRIGGER product_search_ad AFTER DELETE ON product_search BEGIN
          INSERT INTO product_fts(product_fts, rowid, title_terms, attribute_terms, description_terms)
          VALUES ('delete', old.product_id, old.title_terms, old.attribute_terms, old.description_terms);
        END""",
    'product_search_au': """
        CREATE TRIGGER product_search_au AFTER UPDATE ON product_search BEGIN
          INSERT INTO product_fts(product_fts, rowid, title_terms, attribute_terms, description_terms)
          VALUES ('delete', old.product_id, old.title_terms, old.attribute_terms, old.description_terms);
          INSERT INTO product_fts(rowid, title_terms, attribute_terms, description_terms)
          VALUES (new.product_id, new.title_terms, new.attribute_terms, new.description_terms);
        END""",
}


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_offer_id', sa.String(length=64), nullable=True))
        batch_op.create_index('uq_products_supplier_feed_offer', ['supplier_id', 'feed_offer_id'], unique=True)
    op.create_table('product_search',
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('title_terms', sa.Text(), nullable=False),
    sa.Column('attribute_terms', sa.Text(), nullable=False),
    sa.Column('description_terms', sa.Text(), nullable=False),
    sa.Column('document', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_search_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_product_search'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_product_search_document', 'product_search', ['document'], unique=False, postgresql_using='gin')
    else:
        # External-content FTS5 over product_search (no second copy of the text), synced by triggers.
        op.execute(
            "CREATE VIRTUAL TABLE product_fts USING fts5(title_terms, attribute_terms, description_terms,"
            " content='product_search', content_rowid='product_id', detail=column,"
            " tokenize='unicode61 remove_diacritics 0')"
        )
        for statement in FTS_TRIGGERS.values():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_product_search_document', table_name='product_search', postgresql_using='gin')
    else:
        for name in FTS_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        op.execute('DROP TABLE IF EXISTS product_fts')
    op.drop_table('product_search')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('uq_products_supplier_feed_offer')
        batch_op.drop_column('feed_offer_id')
