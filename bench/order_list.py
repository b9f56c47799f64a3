"""Time the CRM order list (``crm.orders.listing.order_page``, one SQL query per page) against the buyer list
(``crm.buyers.queries.buyer_page``) on the same data in the same run, and save both query plans.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.order_list --buyers 100000 --orders 1000000 --engines sqlite,postgresql --keep

The data is ``demo.bulk.fill_buyers_and_orders`` (statuses by age, as on the order desk) plus what the order list
filters on: five account managers with 30 % of the buyers, tiers and kinds like ``fill_segment_data``, every 50th
order canceled, a quarter of the new orders unpaid, and ``created_at`` = ``paid_at`` (the bulk fill leaves it at
«now»). ``--keep`` keeps the filled database (``<work-dir>/order-list-N-M-kept.db``, schema
``bench_order_list_N_M_kept``) so the fill (minutes at 1M orders) is done once; ``--fill-only`` stops after it.
Each page is timed as the median of 7 rounds (the pages take turns) after one warm-up round. JSON and plans
in --results-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session

from bench.databases import kept_database, throwaway_database
from bench.run import BENCH_DIR
from crm.buyers.models import BuyerProfile
from crm.staff.models import Role, StaffUser
from crm.tiers.services import recalc_tiers, seed_tiers
from demo.bulk import BATCH, fill_buyers_and_orders
from storefront.account.models import Buyer, Tier
from storefront.extensions import db
from storefront.order.models import Order

MANAGERS = 5


def _counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(sa.func.count()).select_from(Buyer)) or 0,
        session.scalar(select(sa.func.count()).select_from(Order)) or 0,
    )


def fill(session: Session, buyers: int, orders: int, seed: int = 20) -> None:
    """The bulk buyers and orders, then managers, tiers, kinds, placement times and a few unpaid new orders."""
    rng = random.Random(seed)
    seed_tiers(session)
    session.commit()
    fill_buyers_and_orders(session, buyers, orders)
    managers = [
        StaffUser(email=f"manager{n}@bench.local", role=Role.ACCOUNT_MANAGER, name=f"Менеджер {n}", password_hash="x")
        for n in range(MANAGERS)
    ]
    session.add_all(managers)
    session.flush()
    for start in range(0, buyers, BATCH):
        profiles = [
            {"buyer_id": buyer_id, "manager_id": rng.choice(managers).id, "spend_12m": 0}
            for buyer_id in range(start + 1, min(start + BATCH, buyers) + 1)
            if rng.random() < 0.3
        ]
        if profiles:
            session.execute(insert(BuyerProfile), profiles)
    tier_ids = dict(session.execute(select(Tier.position, Tier.id)).all())
    session.execute(
        update(Buyer).values(
            tier_id=case({n: tier_ids[n] for n in tier_ids}, value=Buyer.id % 7, else_=None),
            kind=case((Buyer.id % 3 == 0, "company"), else_="person"),
            company_name=case(
                (Buyer.id % 3 == 0, sa.literal("ООО Компания ") + sa.cast(Buyer.id, sa.String)), else_=None
            ),
        )
    )
    for start in range(0, orders, 100_000):  # in slices: one UPDATE of a million rows needs a lot of WAL/journal
        session.execute(
            update(Order)
            .where(Order.id > start, Order.id <= start + 100_000)
            .values(
                created_at=Order.paid_at,
                shipping_method_name=case((Order.id % 3 == 0, "Почта России"), else_="СДЭК"),
            )
        )
        session.commit()
    session.execute(update(Order).where(Order.id % 50 == 0).values(status="canceled"))
    session.execute(
        update(Order).where(Order.status == "new", Order.id % 4 == 0).values(payment_status="unpaid", paid_at=None)
    )
    session.commit()
    recalc_tiers(session)
    session.commit()
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)  # the bench's sessions are bound to the engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"))


def _time(pages: dict[str, Callable[[], object]], rounds: int = 7) -> dict[str, float]:
    """The median of ``rounds`` runs of each page, in milliseconds. The pages take turns within each round, so a
    burst of load on the shared machine hits them all alike; one warm-up round first (cold caches)."""
    for action in pages.values():
        action()
    runs: dict[str, list[float]] = {label: [] for label in pages}
    for _ in range(rounds):
        for label, action in pages.items():
            started = time.perf_counter()
            action()
            runs[label].append(time.perf_counter() - started)
    return {label: round(statistics.median(times) * 1000, 1) for label, times in runs.items()}


def _plans(session: Session, action: Callable[[], object]) -> list[dict[str, str]]:
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    postgres = engine.dialect.name == "postgresql"
    plans = []
    for statement, parameters in statements:
        dbapi_connection = session.connection().connection.dbapi_connection
        assert dbapi_connection is not None  # the session's connection is open
        cursor = dbapi_connection.cursor()
        cursor.execute(("EXPLAIN ANALYZE " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
        rows = cursor.fetchall()
        cursor.close()
        plan = "\n".join(str(row[0]) if postgres else f"{row[1]:>4} {row[-1]}" for row in rows)
        plans.append({"sql": " ".join(statement.split()), "plan": plan})
    session.rollback()
    return plans


def cases(session: Session) -> dict[str, Callable[[], object]]:
    """Each page the bench times: the buyer list's default page 3 (``bench.buyer_list``) and the order list's."""
    from crm.buyers.queries import BuyerFilters, buyer_page
    from crm.orders.listing import OrderFilters, order_page, tab_counts

    manager_id = session.scalar(select(StaffUser.id).where(StaffUser.email == "manager2@bench.local"))
    now = datetime.now(UTC)
    filtered = OrderFilters(
        status="shipped",
        placed_from=(now - timedelta(days=10)).date(),
        placed_to=now.date(),
        manager_id=manager_id,
    )
    return {
        "buyer list, page 3 (bench.buyer_list default)": lambda: buyer_page(session, BuyerFilters(), page=3),
        "buyer list, page 1": lambda: buyer_page(session, BuyerFilters(), page=1),
        "order list, first page": lambda: (order_page(session, OrderFilters()), tab_counts(session, OrderFilters())),
        "order list, page 3": lambda: order_page(session, OrderFilters(), page=3),
        "order list, «shipped» + 10 days placed + manager": lambda: (
            order_page(session, filtered),
            tab_counts(session, filtered),
        ),
        "order list, awaiting payment tab": lambda: order_page(session, OrderFilters(status="awaiting_payment")),
        "order list, paid not shipped > 1 day, by total": lambda: order_page(
            session, OrderFilters(unshipped_days=1, sort="total", descending=True)
        ),
        "order list, search «Покупатель 4242»": lambda: order_page(session, OrderFilters(search="Покупатель 4242")),
        "order list, search order number": lambda: order_page(session, OrderFilters(search="mk-b-0424242")),
    }


def measure(url: str, buyers: int, orders: int, keep: bool, fill_only: bool) -> dict:
    import wsgi

    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    record: dict[str, Any] = {}
    with app.app_context():
        upgrade()
        with Session(db.engine) as session:
            counts = _counts(session)
            if counts == (0, 0):
                started = time.perf_counter()
                fill(session, buyers, orders)
                record["fill_seconds"] = round(time.perf_counter() - started, 1)
                print(f"filled in {record['fill_seconds']} s", flush=True)
            elif counts != (buyers, orders):
                raise SystemExit(f"the database holds {counts[0]} buyers and {counts[1]} orders: drop it first")
            if not fill_only:
                engine = session.get_bind()
                assert isinstance(engine, sa.Engine)
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(sa.text("ANALYZE"))
                record["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
                pages = cases(session)
                record["page_ms"] = _time(pages)
                record["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
                record["plans"] = {label: _plans(session, action) for label, action in pages.items()}
        db.engine.dispose()
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--keep", action="store_true", help="keep the filled database and reuse it next time")
    parser.add_argument("--fill-only", action="store_true", help="fill (or check) the database, time nothing")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    for engine in args.engines.split(","):
        database = kept_database if args.keep else throwaway_database
        with database(engine, args.work_dir, f"order-list-{args.buyers}-{args.orders}") as url:
            if url is None:
                print(f"{engine}: skipped (set BENCH_DATABASE_URL)")
                continue
            figures = measure(url, args.buyers, args.orders, args.keep, args.fill_only)
        if args.fill_only:
            continue
        for label, ms in figures["page_ms"].items():
            print(f"{engine}: {label}: {ms} ms")
        record = {
            "engine": engine,
            "buyers": args.buyers,
            "orders": args.orders,
            **figures,
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        }
        args.results_dir.mkdir(parents=True, exist_ok=True)
        name = f"order-list-{engine}-{args.buyers}-{args.orders}"
        (args.results_dir / f"{name}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        with (args.results_dir / f"{name}-plans.txt").open("w") as out:
            for label, plans in figures["plans"].items():
                for plan in plans:
                    out.write(f"== {label}\n{plan['sql']}\n\n{plan['plan']}\n\n")


if __name__ == "__main__":
    main()
