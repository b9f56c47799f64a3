"""Time one page of the CRM buyer list (``crm.buyers.queries.buyer_page``, one SQL query) on N buyers with M orders.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.buyer_list --buyers 100000 --orders 1000000 --engines postgresql

Fills a fresh database like ``bench.tiers`` (``demo.bulk.fill_buyers_and_orders``, then one ``recalc-tiers`` for
the stored 12-month spend), and prints the median of 3 runs for each filter/sort combination the account managers
use. JSON in --results-dir.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from decimal import Decimal
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy.orm import Session

from bench.databases import throwaway_database
from bench.run import BENCH_DIR
from crm.buyers.queries import BuyerFilters, buyer_page
from crm.tiers.services import recalc_tiers, seed_tiers
from demo.bulk import fill_buyers_and_orders
from storefront.extensions import db

CASES = {
    "default (name)": BuyerFilters(),
    "sort by 12-month spend desc": BuyerFilters(sort="spend", descending=True),
    "sort by last order desc": BuyerFilters(sort="last_order", descending=True),
    "spend 300 000–1 200 000": BuyerFilters(spend_min=Decimal("300000"), spend_max=Decimal("1200000")),
    "no order for 180 days": BuyerFilters(inactive_days=180),
    "region 78, sort by spend": BuyerFilters(region="78", sort="spend", descending=True),
    "search «Покупатель 4242»": BuyerFilters(search="Покупатель 4242"),
}


def measure(url: str, buyers: int, orders: int) -> dict:
    import wsgi

    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    timings = {}
    with app.app_context():
        upgrade()
        with Session(db.engine) as session:
            seed_tiers(session)
            session.commit()
            fill_buyers_and_orders(session, buyers, orders)
            recalc_tiers(session)
            session.commit()
            for label, filters in CASES.items():
                runs = []
                for _ in range(3):
                    started = time.perf_counter()
                    buyer_page(session, filters, page=3)
                    runs.append(time.perf_counter() - started)
                timings[label] = round(statistics.median(runs) * 1000, 1)
        db.engine.dispose()
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--engines", default="postgresql")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    for engine in args.engines.split(","):
        with throwaway_database(engine, args.work_dir, f"buyers-{args.buyers}-{args.orders}") as url:
            if url is None:
                print(f"{engine}: skipped (set BENCH_DATABASE_URL)")
                continue
            timings = measure(url, args.buyers, args.orders)
        for label, ms in timings.items():
            print(f"{engine}: {label}: {ms} ms")
        args.results_dir.mkdir(parents=True, exist_ok=True)
        record = {"engine": engine, "buyers": args.buyers, "orders": args.orders, "page_ms": timings}
        (args.results_dir / f"buyer-list-{engine}-{args.buyers}-{args.orders}.json").write_text(
            json.dumps(record, indent=2, ensure_ascii=False)
        )


if __name__ == "__main__":
    main()
