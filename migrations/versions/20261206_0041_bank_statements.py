"""Bank statements: ``bank_imports`` (each statement file imported) and ``bank_documents`` (each incoming payment
read from one, identified by its date, number, payer account and amount, and what it paid)

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

STATES = "'matched', 'review', 'matched_by_hand', 'not_ours'"


def upgrade():
    op.create_table(
        "bank_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("account", sa.String(length=34), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("to_review", sa.Integer(), nullable=False),
        sa.Column("already", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_imports")),
    )
    op.create_table(
        "bank_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("doc_date", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("payer_account", sa.String(length=34), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("payer_name", sa.String(length=500), nullable=False),
        sa.Column("payer_inn", sa.String(length=12), nullable=False),
        sa.Column("payer_kpp", sa.String(length=9), nullable=False),
        sa.Column("payee_account", sa.String(length=34), nullable=False),
        sa.Column("purpose", sa.String(length=1000), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.Column("found_numbers", sa.JSON(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bank_documents_amount_positive")),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_bank_documents_state_known")),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["bank_imports.id"],
            name=op.f("fk_bank_documents_import_id_bank_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_bank_documents_order_id_orders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_bank_documents_payment_id_payments"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_documents")),
        sa.UniqueConstraint("doc_date", "number", "payer_account", "amount", name="uq_bank_documents_identity"),
        sa.UniqueConstraint("payment_id", name=op.f("uq_bank_documents_payment_id")),
    )
    with op.batch_alter_table("bank_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_documents_import_id"), ["import_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_documents_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_bank_documents_state_id", ["state", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("bank_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_documents_state_id")
        batch_op.drop_index(batch_op.f("ix_bank_documents_order_id"))
        batch_op.drop_index(batch_op.f("ix_bank_documents_import_id"))
    op.drop_table("bank_documents")
    op.drop_table("bank_imports")
