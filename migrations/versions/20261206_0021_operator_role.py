"""The operator staff role (order processing, the Harbin warehouse and logistics), and the order list's indexes:
placed and paid time (the list's sorts and date ranges), total (its sort) and the tabs' GROUP BY of the goods'
and the money's status.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 06:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ROLES = "'admin', 'marketer', 'account_manager'"
INDEXES = {
    "ix_orders_created_at": ["created_at"],
    "ix_orders_paid_at": ["paid_at"],
    "ix_orders_total_amount": ["total_amount"],
    "ix_orders_status_payment": ["status", "payment_status"],
}


def _role_check(roles: str) -> None:
    # SQLite: batch mode copies the table; the constraint is dropped by its full conventional name.
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_users_role_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_staff_users_role_known"), f"role IN ({roles})")


def upgrade():
    _role_check(f"{ROLES}, 'operator'")
    for name, columns in INDEXES.items():
        op.create_index(name, "orders", columns)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="orders")
    op.execute("UPDATE staff_users SET is_active = false, role = 'account_manager' WHERE role = 'operator'")
    _role_check(ROLES)
