"""Time the reorder statistics on N buyers with M paid orders (the data of ``bench.tiers``: one payment each,
5 % partly refunded), on SQLite and PostgreSQL.

    .venv/bin/python -m bench.reorder --buyers 100000 --orders 1000000 --engines sqlite,postgresql

Each engine gets a fresh database (SQLite file in --work-dir; PostgreSQL: a new schema on BENCH_DATABASE_URL,
dropped afterwards). Timed: ``recalc-reorders`` twice (the first run creates every buyer's row; the second is
the steady-state nightly run), the per-payment update of one buyer (mean over 50 buyers), the hourly status
refresh, and the four retention figures. Prints one line per engine and writes JSON to --results-dir.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy.orm import Session

from bench.databases import throwaway_database
from bench.run import BENCH_DIR
from bench.tiers import _fill
from crm.reorder.analytics import (
    cohort_retention,
    orders_per_buyer_per_year,
    repeat_purchase_rate,
    time_to_second_order,
)
from crm.reorder.services import recalc_reorders, refresh_statuses, update_buyer_stats
from crm.tiers.services import seed_tiers
from storefront.db import utcnow
from storefront.extensions import db


def _seconds(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def measure(url: str, buyers: int, orders: int) -> dict:
    import wsgi

    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        with Session(db.engine) as session:
            seed_tiers(session)
            started = time.perf_counter()
            _fill(session, buyers, orders)
            filled = _seconds(started)
            runs = []
            for _ in range(2):
                started = time.perf_counter()
                result = recalc_reorders(session)
                runs.append((_seconds(started), result.by_status))
            now = utcnow()
            sample = range(1, min(buyers, 50) + 1)
            started = time.perf_counter()
            for buyer_id in sample:
                update_buyer_stats(session, buyer_id, now)
            per_buyer = round((time.perf_counter() - started) / len(sample) * 1000, 2)
            started = time.perf_counter()
            refresh_statuses(session, now)
            statuses = _seconds(started)
            analytics = {}
            for name, function in (
                ("repeat_rate", repeat_purchase_rate),
                ("orders_per_year", orders_per_buyer_per_year),
                ("second_order", time_to_second_order),
                ("cohorts", cohort_retention),
            ):
                started = time.perf_counter()
                function(session)
                analytics[name] = _seconds(started)
        db.engine.dispose()
    return {
        "fill_seconds": filled,
        "runs": runs,
        "per_buyer_update_ms": per_buyer,
        "status_refresh_seconds": statuses,
        "analytics_seconds": analytics,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    if args.buyers < 1 or args.orders < 1:
        parser.error("--buyers and --orders must be positive")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for engine in args.engines.split(","):
        with throwaway_database(engine, args.work_dir, f"reorder-{args.buyers}-{args.orders}") as url:
            if url is None:
                print(f"{engine}: skipped (set BENCH_DATABASE_URL)")
                continue
            figures = measure(url, args.buyers, args.orders)
        record = {"engine": engine, "buyers": args.buyers, "orders": args.orders, **figures}
        print(
            f"{engine}: {args.buyers} buyers, {args.orders} orders:"
            f" recalc-reorders first run {figures['runs'][0][0]} s,"
            f" second run {figures['runs'][1][0]} s; one buyer {figures['per_buyer_update_ms']} ms; status refresh"
            f" {figures['status_refresh_seconds']} s; retention {figures['analytics_seconds']}"
            f" (fill {figures['fill_seconds']} s)"
        )
        args.results_dir.mkdir(parents=True, exist_ok=True)
        out = args.results_dir / f"reorder-{engine}-{args.buyers}-{args.orders}.json"
        out.write_text(json.dumps(record, indent=2))
        records.append(record)
    return records


if __name__ == "__main__":
    main()
