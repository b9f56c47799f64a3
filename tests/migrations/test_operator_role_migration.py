"""Migration 0016: the role check admits «operator» (SQLite rebuilds the table in batch mode), the order list's
indexes exist, and the downgrade demotes operators instead of failing, on both engines."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

import wsgi
from tests.migrations.test_migrations import empty_database_url  # noqa: F401  (the fixture)
from tests.support.database import make_test_config

STAFF = (
    "INSERT INTO staff_users (email, name, password_hash, role, is_active, created_at, updated_at)"
    " VALUES (:email, '', 'x', :role, true, '2026-12-06 10:00:00', '2026-12-06 10:00:00')"
)
INDEXES = {"ix_orders_created_at", "ix_orders_paid_at", "ix_orders_total_amount", "ix_orders_status_payment"}


def test_the_operator_role_and_the_order_list_indexes_come_and_go(empty_database_url, tmp_path):  # noqa: F811
    app = wsgi.create_app(make_test_config(empty_database_url, tmp_path))
    with app.app_context():
        from storefront.extensions import db

        upgrade(revision="0014")
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text(STAFF), {"email": "op@mostik.local", "role": "operator"})
        with db.engine.begin() as connection:
            connection.execute(sa.text(STAFF), {"email": "admin@mostik.local", "role": "admin"})

        upgrade(revision="0021")
        with db.engine.begin() as connection:
            connection.execute(sa.text(STAFF), {"email": "op@mostik.local", "role": "operator"})
        indexes = {index["name"] for index in sa.inspect(db.engine).get_indexes("orders")}
        assert INDEXES <= indexes
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text(STAFF), {"email": "x@mostik.local", "role": "cashier"})

        downgrade(revision="0014")
        with db.engine.connect() as connection:
            staff = {email: role for email, role in connection.execute(sa.text("SELECT email, role FROM staff_users"))}
        indexes = {index["name"] for index in sa.inspect(db.engine).get_indexes("orders")}
        db.engine.dispose()
    assert staff == {"admin@mostik.local": "admin", "op@mostik.local": "account_manager"}
    assert not INDEXES & indexes
