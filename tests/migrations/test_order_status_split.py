"""Migration 0014 splits the old single order status into the goods' and the money's, keeping the history."""

import sqlalchemy as sa
from flask_migrate import upgrade

import wsgi
from tests.migrations.test_migrations import empty_database_url  # noqa: F401  (the fixture)
from tests.support.database import make_test_config

ORDER = (
    "INSERT INTO orders (id, number, placement_token, status, email, phone, contact_name, buyer_kind, region_code,"
    " city, postcode, street, recipient, recipient_phone, shipping_method_name, shipping_min_days, shipping_max_days,"
    " currency, subtotal_amount, tier_discount_bp, tier_discount_amount, promo_discount_amount, shipping_amount,"
    " total_amount, vat_amount, fx_rates, paid_at, created_at, updated_at) VALUES (:id, :number, :number, :status,"
    " 'a@b.ru', '+79161234567', 'Анна', 'person', '78', 'СПб', '191186', 'Невский, 1', 'Анна', '+79161234567',"
    " 'СДЭК', 8, 12, 'RUB', 1000000, 0, 0, 0, 0, 1000000, 0, '{}', :paid_at, '2026-11-01 10:00:00',"
    " '2026-11-20 10:00:00')"
)
STEP = (
    "INSERT INTO order_status_changes (order_id, from_status, to_status, note, created_at)"
    " VALUES (:order_id, :from_status, :to_status, :note, :at)"
)
PAID = "2026-11-01 11:00:00"
#: order id → (old status, paid_at, old history as (from, to, note)).
OLD = {
    1: ("awaiting_payment", None, [(None, "awaiting_payment", "placed")]),
    2: ("paid", PAID, [(None, "awaiting_payment", "placed"), ("awaiting_payment", "paid", "payment pay-2")]),
    3: (
        "partially_refunded",
        PAID,
        [
            (None, "awaiting_payment", "placed"),
            ("awaiting_payment", "paid", "payment pay-3"),
            ("paid", "shipped", ""),
            ("shipped", "partially_refunded", "refund rf-3: 17240.00"),
            ("partially_refunded", "delivered", ""),
        ],
    ),
    4: (
        "refunded",
        PAID,
        [
            (None, "awaiting_payment", "placed"),
            ("awaiting_payment", "paid", "payment pay-4"),
            ("paid", "refunded", "refund rf-4: 10000.00"),
        ],
    ),
    5: ("canceled", None, [(None, "awaiting_payment", "placed"), ("awaiting_payment", "canceled", "not paid in time")]),
}


def test_old_orders_keep_their_story_under_the_two_statuses(empty_database_url, tmp_path):  # noqa: F811
    app = wsgi.create_app(make_test_config(empty_database_url, tmp_path))
    with app.app_context():
        from storefront.extensions import db

        upgrade(revision="0013")
        with db.engine.begin() as connection:
            for order_id, (status, paid_at, steps) in OLD.items():
                connection.execute(
                    sa.text(ORDER), {"id": order_id, "number": f"MK-{order_id}", "status": status, "paid_at": paid_at}
                )
                for n, (before, after, note) in enumerate(steps):
                    at = f"2026-11-0{n + 1} 12:00:00"
                    connection.execute(
                        sa.text(STEP),
                        {"order_id": order_id, "from_status": before, "to_status": after, "note": note, "at": at},
                    )
        upgrade()
        with db.engine.connect() as connection:
            orders = dict(
                (row[0], (row[1], row[2]))
                for row in connection.execute(sa.text("SELECT id, status, payment_status FROM orders"))
            )
            steps = connection.execute(
                sa.text(
                    "SELECT order_id, kind, from_status, to_status, note, reference, amount"
                    " FROM order_status_changes ORDER BY id"
                )
            ).all()
        db.engine.dispose()

    assert orders == {
        1: ("new", "unpaid"),
        2: ("new", "paid"),
        3: ("delivered", "partially_refunded"),
        4: ("canceled", "refunded"),
        5: ("canceled", "unpaid"),
    }
    story = {}
    for order_id, *step in steps:
        story.setdefault(order_id, []).append(tuple(step))
    assert story[3] == [
        ("fulfilment", None, "new", "placed", "", None),
        ("payment", "unpaid", "paid", "", "pay-3", 1000000),
        ("fulfilment", "new", "shipped", "", "", None),
        ("payment", "paid", "partially_refunded", "", "rf-3", 1724000),
        ("fulfilment", "shipped", "delivered", "", "", None),
    ]
    assert story[4][-1] == ("payment", "paid", "refunded", "", "rf-4", 1000000)
    assert story[5][-1] == ("fulfilment", "new", "canceled", "expired", "", None)
