"""Time segment counts on N buyers with orders (the marketer's live count must stay under 300 ms on PostgreSQL).

    .venv/bin/python -m bench.segments --buyers 100000 --engines sqlite,postgresql

The data is ``demo.bulk``'s generators (buyers, paid orders with payments, 5 % partly refunded) plus what segments
read: a main address per buyer, marketing consents, tiers, managers, first-touch UTM, and one order line per order
in a small category tree. It is kept between runs (SQLite file in --work-dir; PostgreSQL: schema
``bench_segments_<N>`` on BENCH_DATABASE_URL) and reused unless --rebuild. Each segment's COUNT is run once to warm
up, then --repeat times; prints median and worst per segment and engine, writes JSON to --results-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.databases import execute
from bench.run import BENCH_DIR, _schema_url
from crm.reorder.models import BuyerCategory, BuyerStats
from crm.reorder.services import POLICY_EXTENSION, recalc_reorders
from crm.segments.queries import segment_count
from crm.tiers.services import seed_tiers
from demo.bulk import fill_buyers_and_orders, fill_segment_data
from storefront.account.models import Address
from storefront.extensions import db
from storefront.order.models import Order

#: Segments a St Petersburg marketer would build (ids of categories and managers are the generated ones).
SEGMENTS: dict[str, dict[str, Any]] = {
    "spb_vip_consented": {
        "op": "and",
        "conditions": [
            {"field": "region", "operator": "in", "value": ["78", "47"]},
            {"field": "tier", "operator": "in", "value": ["gold", "platinum"]},
            {"field": "marketing_consent", "operator": "eq", "value": True},
        ],
    },
    "drifting_big_spenders": {
        "op": "and",
        "conditions": [
            {"field": "days_since_last_order", "operator": "between", "value": [90, 365]},
            {"field": "spend_12m", "operator": "gte", "value": 300000},
            {"field": "marketing_consent", "operator": "eq", "value": True},
        ],
    },
    "shoes_buyers_or_new_from_yandex": {
        "op": "or",
        "conditions": [
            {
                "op": "and",
                "conditions": [
                    {"field": "categories", "operator": "in", "value": [1]},
                    {"field": "spend_total", "operator": "gte", "value": "100000"},
                ],
            },
            {
                "op": "and",
                "conditions": [
                    {"field": "order_count", "operator": "eq", "value": 0},
                    {"field": "utm_source", "operator": "eq", "value": "yandex"},
                ],
            },
        ],
    },  # fmt: skip
    "managed_companies_in_moscow": {
        "op": "and",
        "conditions": [
            {"field": "kind", "operator": "eq", "value": "company"},
            {"field": "city", "operator": "eq", "value": "Москва"},
            {"field": "manager", "operator": "is_not_empty"},
            {"field": "order_count", "operator": "gte", "value": 3},
        ],
    },
}


def _ready(session: Session, buyers: int) -> bool:
    try:
        return session.scalar(select(func.count(Address.id))) == buyers
    except sa.exc.DBAPIError:
        session.rollback()
        return False


def measure(url: str, buyers: int, orders: int, repeat: int, rebuild: bool) -> dict[str, Any]:
    import wsgi

    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    figures: dict[str, Any] = {}
    with app.app_context():
        upgrade()
        with Session(db.engine) as session:
            fill_seconds = None
            if rebuild or not _ready(session, buyers):
                started = time.perf_counter()
                seed_tiers(session)
                session.commit()
                fill_buyers_and_orders(session, buyers, orders)
                fill_segment_data(session, buyers, orders)
                fill_seconds = round(time.perf_counter() - started, 1)
            figures["fill_seconds"] = fill_seconds
            stats = session.scalar(select(func.count()).select_from(BuyerStats))
            if stats != buyers or session.scalar(select(func.count()).select_from(BuyerCategory)) == 0:
                # Order count, spend, days since the last order and categories are read from the statistics.
                started = time.perf_counter()
                recalc_reorders(session, policy=app.extensions[POLICY_EXTENSION])
                session.commit()
                figures["recalc_reorders_seconds"] = round(time.perf_counter() - started, 1)
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(sa.text("ANALYZE crm_buyer_stats"))
                    session.commit()
            # Read the figures against the machine: a plain full scan of orders, and the load average.
            session.scalar(select(func.count(Order.id)))
            started = time.perf_counter()
            session.scalar(select(func.count(Order.id)))
            figures["calibration_count_orders_ms"] = round((time.perf_counter() - started) * 1000, 1)
            figures["load_average"] = os.getloadavg()[0]
            results = {}
            for name, definition in SEGMENTS.items():
                count = segment_count(session, definition)  # warm-up
                timings = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    segment_count(session, definition)
                    timings.append((time.perf_counter() - started) * 1000)
                results[name] = {
                    "count": count,
                    "median_ms": round(statistics.median(timings), 1),
                    "max_ms": round(max(timings), 1),
                }
            figures["segments"] = results
        db.engine.dispose()
    return figures


def _postgres_url(base: str, schema: str, rebuild: bool) -> str:
    if rebuild:
        execute(base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    execute(base, f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return _schema_url(base, schema)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=None, help="default: 3 per buyer")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    orders = args.orders if args.orders is not None else args.buyers * 3
    args.work_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for engine in args.engines.split(","):
        if engine == "sqlite":
            url = f"sqlite:///{args.work_dir / f'segments-{args.buyers}-{orders}.db'}"
        else:
            base = os.environ.get("BENCH_DATABASE_URL")
            if not base:
                print("postgresql: skipped (set BENCH_DATABASE_URL)")
                continue
            url = _postgres_url(base, f"bench_segments_{args.buyers}_{orders}", args.rebuild)
        figures = measure(url, args.buyers, orders, args.repeat, args.rebuild)
        record = {"engine": engine, "buyers": args.buyers, "orders": orders, **figures}
        print(
            f"{engine}: calibration: SELECT count(*) FROM orders {figures['calibration_count_orders_ms']} ms, "
            f"load average {figures['load_average']:.1f}"
        )
        for name, result in figures["segments"].items():
            print(
                f"{engine}: {name}: {result['count']} of {args.buyers} buyers, "
                f"count median {result['median_ms']} ms, worst {result['max_ms']} ms"
            )
        args.results_dir.mkdir(parents=True, exist_ok=True)
        (args.results_dir / f"segments-{engine}-{args.buyers}.json").write_text(json.dumps(record, indent=2))
        records.append(record)
    return records


if __name__ == "__main__":
    main()
