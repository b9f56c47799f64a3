"""Time ``crm recalc-tiers`` on N buyers with M paid orders (one payment each, 5 % partly refunded).

    .venv/bin/python -m bench.tiers --buyers 100000 --orders 1000000 --engines sqlite,postgresql

Each engine gets a fresh database (SQLite file in --work-dir; PostgreSQL: a new schema on BENCH_DATABASE_URL,
dropped afterwards), migrated, filled with Core bulk inserts, then recalculated twice (the first run assigns
every buyer; the second is the steady-state nightly run). Prints one line per engine and writes JSON to
--results-dir, with the date and the load average.

``--keep`` keeps the filled database (``<work-dir>/tiers-N-M-kept.db``, schema ``bench_tiers_N_M_kept``) and
reuses it on the next ``--keep`` run: the fill (minutes at 1M orders) is done once, and before timing the
buyers' tiers, profiles and tier history are reset to the state before any recalculation, so the first run is
still a first run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from bench.databases import kept_database, throwaway_database
from bench.run import BENCH_DIR
from crm.tiers.services import recalc_tiers, seed_tiers
from demo.bulk import fill_buyers_and_orders
from storefront.account.models import Buyer
from storefront.extensions import db
from storefront.order.models import Order


def _filled(session: Session, buyers: int, orders: int) -> bool:
    """Whether a kept database already holds exactly this fill (an empty one is filled; anything else refused)."""
    counts = (
        session.scalar(sa.select(sa.func.count()).select_from(Buyer)),
        session.scalar(sa.select(sa.func.count()).select_from(Order)),
    )
    if counts not in ((0, 0), (buyers, orders)):
        raise SystemExit(f"the kept database holds {counts[0]} buyers and {counts[1]} orders: drop it first")
    return counts == (buyers, orders)


def _trace(engine: sa.Engine) -> None:
    """Print every statement's time (``--trace``): which step of the recalculation is slow."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        conn.info["bench_started"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        took = time.perf_counter() - conn.info.pop("bench_started")
        print(f"  {took:7.2f} s  {' '.join(statement.split())[:150]}")


def reset_tiers(session: Session) -> None:
    """Back to the state before any recalculation: no profiles, no tier history, no buyer has a tier."""
    session.execute(sa.text("DELETE FROM crm_tier_changes"))
    session.execute(sa.text("DELETE FROM crm_buyer_profiles"))
    session.execute(sa.text("UPDATE buyers SET tier_id = NULL WHERE tier_id IS NOT NULL"))
    session.commit()
    # Like right after a fill: no dead rows from the previous runs, fresh statistics, and on PostgreSQL no
    # visibility map either (FULL rewrites the tables; a plain VACUUM would set it and make index-only scans
    # cheaper than right after a fill, which can change the plans the first run gets).
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)  # the bench's sessions are bound to the engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("VACUUM (FULL, ANALYZE) buyers, crm_buyer_profiles, crm_tier_changes"))
        else:
            connection.execute(sa.text("VACUUM"))


def measure(url: str, buyers: int, orders: int, keep: bool = False, trace: bool = False) -> dict:
    import wsgi

    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        with Session(db.engine) as session:
            seed_tiers(session)
            session.commit()
            filled = None
            if keep and _filled(session, buyers, orders):
                reset_tiers(session)
            else:
                started = time.perf_counter()
                fill_buyers_and_orders(session, buyers, orders)
                filled = round(time.perf_counter() - started, 1)
            if trace:
                _trace(db.engine)
            load_before = os.getloadavg()
            timings = []
            for _ in range(2):
                started = time.perf_counter()
                result = recalc_tiers(session)
                session.commit()
                timings.append((round(time.perf_counter() - started, 2), result.upgraded, result.downgraded))
            load_after = os.getloadavg()
        db.engine.dispose()
    # 1/5/15-minute load averages just before and after the two runs (2 cores: above ~1, someone else was busy).
    load = {
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }
    return {"fill_seconds": filled, "runs": timings, **load}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--keep", action="store_true", help="keep the filled database and reuse it next time")
    parser.add_argument("--trace", action="store_true", help="print the time of every statement of the runs")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for engine in args.engines.split(","):
        database = kept_database if args.keep else throwaway_database
        with database(engine, args.work_dir, f"tiers-{args.buyers}-{args.orders}") as url:
            if url is None:
                print(f"{engine}: skipped (set BENCH_DATABASE_URL)")
                continue
            figures = measure(url, args.buyers, args.orders, keep=args.keep, trace=args.trace)
        record = {
            "engine": engine,
            "buyers": args.buyers,
            "orders": args.orders,
            **figures,
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        }
        print(
            f"{engine}: {args.buyers} buyers, {args.orders} orders: recalc-tiers first run {figures['runs'][0][0]} s, "
            f"second run {figures['runs'][1][0]} s (fill {figures['fill_seconds']} s, "
            f"load {record['load_average_before']} -> {record['load_average_after']})"
        )
        args.results_dir.mkdir(parents=True, exist_ok=True)
        out = args.results_dir / f"tiers-{engine}-{args.buyers}-{args.orders}.json"
        out.write_text(json.dumps(record, indent=2))
        records.append(record)
    return records


if __name__ == "__main__":
    main()
