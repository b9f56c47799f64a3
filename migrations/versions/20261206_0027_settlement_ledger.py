"""Supplier settlement: the append-only double-entry ledger (transactions and their entries, in kopecks), supplier
payout batches and their lines, and the finance staff role.

The database keeps the ledger append-only (triggers refuse UPDATE on both engines, and DELETE on PostgreSQL) and,
on PostgreSQL, refuses at commit a transaction whose entries do not sum to zero (a deferred constraint trigger);
on SQLite ``storefront.settlement.journal.post`` and ``flask settlement check`` are the guards. Nothing is
backfilled here: ``flask settlement backfill`` posts the history of orders paid before.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 09:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

ROLES = "'admin', 'marketer', 'account_manager', 'operator'"
ACCOUNTS = (
    "'provider_cash', 'buyer_held', 'supplier_payable', 'platform_commission', 'platform_shipping', 'supplier_paid_out'"
)
KINDS = "'capture', 'refund', 'confirm', 'payout', 'reversal'"
LEDGER_TABLES = ("ledger_transactions", "ledger_entries")

POSTGRES_UP = [
    """
    CREATE FUNCTION ledger_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % refused (post a reversal)', TG_OP, TG_TABLE_NAME;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION ledger_transaction_balances() RETURNS trigger AS $$
    BEGIN
        IF (SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE transaction_id = NEW.transaction_id) <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % does not balance', NEW.transaction_id;
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        for table in LEDGER_TABLES
    ),
    "CREATE CONSTRAINT TRIGGER ledger_entries_balance AFTER INSERT ON ledger_entries "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balances()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS ledger_entries_balance ON ledger_entries",
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in LEDGER_TABLES),
    "DROP FUNCTION IF EXISTS ledger_transaction_balances()",
    "DROP FUNCTION IF EXISTS ledger_append_only()",
]
SQLITE_UP = [
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'the ledger is append-only (post a reversing transaction)'); END"
    for table in LEDGER_TABLES
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {table}_append_only" for table in LEDGER_TABLES]


def _role_check(roles: str) -> None:
    # SQLite: batch mode copies the table; the constraint is dropped by its full conventional name.
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_users_role_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_staff_users_role_known"), f"role IN ({roles})")


def upgrade():
    _role_check(f"{ROLES}, 'finance'")
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("idempotence_key", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_ledger_transactions_kind_known")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_ledger_transactions_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("idempotence_key", name=op.f("uq_ledger_transactions_idempotence_key")),
    )
    op.create_index(op.f("ix_ledger_transactions_order_id"), "ledger_transactions", ["order_id"])
    op.create_index(op.f("ix_ledger_transactions_created_at"), "ledger_transactions", ["created_at"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=24), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"account IN ({ACCOUNTS})", name=op.f("ck_ledger_entries_account_known")),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_ledger_entries_supplier_id_suppliers")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_ledger_entries_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_lines.id"], name=op.f("fk_ledger_entries_order_line_id_order_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_transaction_id"), "ledger_entries", ["transaction_id"])
    op.create_index("ix_ledger_entries_order_account", "ledger_entries", ["order_id", "account"])
    op.create_index("ix_ledger_entries_supplier_account", "ledger_entries", ["supplier_id", "account"])
    op.create_table(
        "payout_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by", sa.Integer(), nullable=True),
        sa.Column("bank_reference", sa.String(length=64), nullable=True),
        sa.CheckConstraint("status IN ('open', 'paid')", name=op.f("ck_payout_batches_status_known")),
        sa.CheckConstraint("total > 0", name=op.f("ck_payout_batches_total_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_batches")),
    )
    op.create_index(
        "ix_payout_batches_one_open",
        "payout_batches",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "payout_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payout_lines_amount_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["payout_batches.id"], name=op.f("fk_payout_lines_batch_id_payout_batches")
        ),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"], name=op.f("fk_payout_lines_supplier_id_suppliers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_lines")),
        sa.UniqueConstraint("batch_id", "supplier_id", name="uq_payout_lines_batch_supplier"),
    )
    op.create_index(op.f("ix_payout_lines_batch_id"), "payout_lines", ["batch_id"])
    for statement in POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade():
    for statement in POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index(op.f("ix_payout_lines_batch_id"), table_name="payout_lines")
    op.drop_table("payout_lines")
    op.drop_index("ix_payout_batches_one_open", table_name="payout_batches")
    op.drop_table("payout_batches")
    op.drop_index("ix_ledger_entries_supplier_account", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_order_account", table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_transaction_id"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index(op.f("ix_ledger_transactions_created_at"), table_name="ledger_transactions")
    op.drop_index(op.f("ix_ledger_transactions_order_id"), table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.execute("UPDATE staff_users SET is_active = false, role = 'account_manager' WHERE role = 'finance'")
    _role_check(ROLES)
