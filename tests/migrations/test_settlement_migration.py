"""Migration 0027: the ledger and payout tables with their database guards (append-only; on PostgreSQL balanced at
commit), the role check admits «finance», and the downgrade demotes finance staff instead of failing."""

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
TABLES = {"ledger_transactions", "ledger_entries", "payout_batches", "payout_lines"}


def test_the_settlement_tables_and_the_finance_role_come_and_go(empty_database_url, tmp_path):  # noqa: F811
    app = wsgi.create_app(make_test_config(empty_database_url, tmp_path))
    with app.app_context():
        from storefront.extensions import db

        upgrade(revision="0022")
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text(STAFF), {"email": "fin@mostik.local", "role": "finance"})

        upgrade(revision="0027")
        with db.engine.begin() as connection:
            connection.execute(sa.text(STAFF), {"email": "fin@mostik.local", "role": "finance"})
            connection.execute(
                sa.text(
                    "INSERT INTO ledger_transactions (kind, reference, idempotence_key, created_at)"
                    " VALUES ('reversal', '', 'k', '2026-12-06 10:00:00')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO ledger_entries (transaction_id, account, amount) VALUES (1, 'provider_cash', 5),"
                    " (1, 'buyer_held', -5)"
                )
            )
        assert TABLES <= set(sa.inspect(db.engine).get_table_names())
        with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE ledger_entries SET amount = 6 WHERE amount = 5"))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO ledger_entries (transaction_id, account, amount) VALUES (1, 'petty_cash', 1)")
            )

        downgrade(revision="0022")
        with db.engine.connect() as connection:
            staff = {email: role for email, role in connection.execute(sa.text("SELECT email, role FROM staff_users"))}
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert staff == {"fin@mostik.local": "account_manager"}
    assert not TABLES & tables
