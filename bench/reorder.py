"""Time the reorder statistics on N buyers with M paid orders (the data of ``bench.tiers``: one payment each,
5 % partly refunded), on SQLite and PostgreSQL.

    .venv/bin/python -m bench.reorder --buyers 100000 --orders 1000000 --engines sqlite,postgresql

Each engine gets a fresh database (SQLite file in --work-dir; PostgreSQL: a new schema on BENCH_DATABASE_URL,
dropped afterwards). With ``--keep`` the database stays (SQLite ``<work-dir>/reorder-N-M-kept.db``, PostgreSQL
schema ``bench_reorder_N_M_kept``: ``bench.databases.kept_database``) and the next ``--keep`` run of the same size
reuses the filled data instead of filling again (the statistics table is emptied first, so the first recalc still
creates every row). Timed: ``recalc-reorders`` twice (the first run creates every buyer's row; the second is the
steady-state nightly run), the per-payment update of one buyer (mean over 50 buyers), the hourly status refresh,
and the four retention figures, the nightly snapshot of them and the retention page reading it. Prints each step as
it finishes, one summary line per engine, and writes JSON (with the load average) to --results-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from bench.databases import kept_database, throwaway_database
from bench.run import BENCH_DIR
from bench.tiers import _filled
from crm.reorder.analytics import (
    cohort_retention,
    orders_per_buyer_per_year,
    repeat_purchase_rate,
    time_to_second_order,
)
from crm.reorder.models import BuyerStats, ReorderBaseline
from crm.reorder.services import POLICY_EXTENSION, recalc_reorders, refresh_statuses, update_buyer_stats
from crm.reorder.snapshot import take_snapshot
from crm.staff.services import create_staff, find_staff
from crm.tiers.services import seed_tiers
from demo.bulk import fill_buyers_and_orders
from storefront.db import utcnow
from storefront.extensions import db


def _seconds(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _say(engine: str, message: str) -> None:
    # Flushed at once: a long run shows where it is (and where it got stuck).
    print(f"{engine}: {message}", flush=True)


def measure(url: str, buyers: int, orders: int, engine: str = "") -> dict:
    import wsgi

    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    policy = app.extensions[POLICY_EXTENSION]
    with app.app_context():
        upgrade()
        with Session(db.engine) as session:
            if _filled(session, buyers, orders):
                # Reused: start from no statistics, as after a fresh fill.
                session.execute(sa.delete(BuyerStats))
                session.execute(sa.delete(ReorderBaseline))
                session.commit()
                filled = None
                _say(engine, "reusing the filled data")
            else:
                seed_tiers(session)
                session.commit()
                started = time.perf_counter()
                fill_buyers_and_orders(session, buyers, orders)
                filled = _seconds(started)
                _say(engine, f"fill {filled} s")
            runs = []
            for run in ("first", "second"):
                started = time.perf_counter()
                result = recalc_reorders(session, policy=policy)
                session.commit()
                runs.append((_seconds(started), result.by_status))
                _say(engine, f"recalc-reorders {run} run {runs[-1][0]} s {result.by_status}")
            now = utcnow()
            sample = range(1, min(buyers, 50) + 1)
            started = time.perf_counter()
            for buyer_id in sample:
                update_buyer_stats(session, buyer_id, now, policy=policy)
                session.commit()
            per_buyer = round((time.perf_counter() - started) / len(sample) * 1000, 2)
            _say(engine, f"per-payment update {per_buyer} ms (mean of {len(sample)})")
            started = time.perf_counter()
            refresh_statuses(session, now, policy)
            session.commit()
            statuses = _seconds(started)
            _say(engine, f"status refresh {statuses} s")
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
                _say(engine, f"{name} {analytics[name]} s")
            started = time.perf_counter()
            take_snapshot(session, utcnow())
            session.commit()
            snapshot = _seconds(started)
            _say(engine, f"retention snapshot (the nightly job) {snapshot} s")
            page_ms = _retention_page_ms(app, session)
            _say(engine, f"retention page from the snapshot: median {page_ms[0]} ms, worst {page_ms[1]} ms")
        db.engine.dispose()
    return {
        "fill_seconds": filled,
        "runs": runs,
        "per_buyer_update_ms": per_buyer,
        "status_refresh_seconds": statuses,
        "analytics_seconds": analytics,
        "snapshot_seconds": snapshot,
        "retention_page_ms": {"median": page_ms[0], "worst": page_ms[1]},
    }


def _retention_page_ms(app: Flask, session: Session, requests: int = 20) -> tuple[float, float]:
    """The page as a marketer opens it (signed in, through the whole app): median and worst of ``requests``."""
    email, password = "bench-marketer@mostik.local", "bench-marketer-password"
    if find_staff(session, email) is None:
        create_staff(session, email, "marketer", password)
        session.commit()
    client = app.test_client()
    page = client.get("/crm/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post("/crm/login", data={"csrf_token": token, "email": email, "password": password})
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/crm/analytics/retention")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return round(times[len(times) // 2], 1), round(times[-1], 1)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument(
        "--keep", action="store_true", help="keep the filled database and reuse it on the next --keep run"
    )
    args = parser.parse_args(argv)
    if args.buyers < 1 or args.orders < 1:
        parser.error("--buyers and --orders must be positive")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for engine in args.engines.split(","):
        database = kept_database if args.keep else throwaway_database
        started_at = datetime.now(UTC)
        with database(engine, args.work_dir, f"reorder-{args.buyers}-{args.orders}") as url:
            if url is None:
                print(f"{engine}: skipped (set BENCH_DATABASE_URL)", flush=True)
                continue
            load_before = os.getloadavg()
            figures = measure(url, args.buyers, args.orders, engine)
            load_after = os.getloadavg()
        record = {
            "engine": engine,
            "buyers": args.buyers,
            "orders": args.orders,
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            # Other people use this machine: the 1/5/15-minute load averages before and after.
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            **figures,
        }
        print(
            f"{engine}: {args.buyers} buyers, {args.orders} orders:"
            f" recalc-reorders first run {figures['runs'][0][0]} s,"
            f" second run {figures['runs'][1][0]} s; one buyer {figures['per_buyer_update_ms']} ms; status refresh"
            f" {figures['status_refresh_seconds']} s; retention {figures['analytics_seconds']}, snapshot"
            f" {figures['snapshot_seconds']} s, page {figures['retention_page_ms']} ms"
            f" (fill {figures['fill_seconds']} s; load average {record['load_average_after']})",
            flush=True,
        )
        args.results_dir.mkdir(parents=True, exist_ok=True)
        out = args.results_dir / f"reorder-{engine}-{args.buyers}-{args.orders}.json"
        out.write_text(json.dumps(record, indent=2))
        records.append(record)
    return records


if __name__ == "__main__":
    main()
