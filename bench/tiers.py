"""Time ``crm recalc-tiers`` on N buyers with M paid orders (one payment each, 5 % partly refunded).

    .venv/bin/python -m bench.tiers --buyers 100000 --orders 1000000 --engines sqlite,postgresql

Each engine gets a fresh database (SQLite file in --work-dir; PostgreSQL: a new schema on BENCH_DATABASE_URL,
dropped afterwards), migrated, filled with Core bulk inserts, then recalculated twice (the first run assigns
every buyer; the second is the steady-state nightly run). Prints one line per engine and writes JSON to
--results-dir.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import insert
from sqlalchemy.orm import Session

from bench.databases import throwaway_database
from bench.run import BENCH_DIR
from crm.tiers.services import recalc_tiers, seed_tiers
from storefront.account.models import Buyer
from storefront.db import utcnow
from storefront.extensions import db
from storefront.order.models import Order
from storefront.payment.models import Payment, Refund

BATCH = 10_000


def _fill(session: Session, buyers: int, orders: int, seed: int = 6) -> None:
    rng = random.Random(seed)
    now = utcnow()
    for start in range(0, buyers, BATCH):
        session.execute(
            insert(Buyer),
            [
                {"id": i + 1, "email": f"b{i + 1}@bench.local", "name": f"Покупатель {i + 1}"}
                for i in range(start, min(start + BATCH, buyers))
            ],
        )
    for start in range(0, orders, BATCH):
        order_rows, payment_rows, refund_rows = [], [], []
        for i in range(start, min(start + BATCH, orders)):
            order_id = i + 1
            amount = Decimal(rng.randint(50_000, 80_000_000)) / 100
            paid_at = now - timedelta(days=rng.random() * 500)
            order_rows.append(
                {
                    "id": order_id, "number": f"MK-B-{order_id:07d}", "placement_token": secrets.token_hex(8),
                    "buyer_id": rng.randint(1, buyers), "status": "paid", "email": "b@bench.local",
                    "phone": "+79161234567", "contact_name": "Покупатель", "region_code": "78", "city": "СПб",
                    "postcode": "191186", "street": "Невский, 1", "recipient": "Покупатель",
                    "recipient_phone": "+79161234567", "shipping_method_name": "СДЭК", "shipping_min_days": 8,
                    "shipping_max_days": 12, "subtotal_amount": amount, "tier_discount_amount": Decimal(0),
                    "promo_discount_amount": Decimal(0), "shipping_amount": Decimal(0), "total_amount": amount,
                    "vat_amount": Decimal(0), "paid_at": paid_at,
                }
            )  # fmt: skip
            payment_rows.append(
                {
                    "id": order_id, "order_id": order_id, "idempotence_key": secrets.token_hex(8),
                    "status": "succeeded", "amount": amount, "description": "bench", "return_url": "/",
                    "succeeded_at": paid_at,
                }
            )  # fmt: skip
            if rng.random() < 0.05:
                refund_rows.append(
                    {
                        "payment_id": order_id, "order_id": order_id, "idempotence_key": secrets.token_hex(8),
                        "status": "succeeded", "amount": (amount / 3).quantize(Decimal("0.01")),
                    }
                )  # fmt: skip
        session.execute(insert(Order), order_rows)
        session.execute(insert(Payment), payment_rows)
        if refund_rows:
            session.execute(insert(Refund), refund_rows)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE"))
        session.commit()


def measure(url: str, buyers: int, orders: int) -> dict:
    import wsgi

    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        with Session(db.engine) as session:
            seed_tiers(session)
            started = time.perf_counter()
            _fill(session, buyers, orders)
            filled = time.perf_counter() - started
            timings = []
            for _ in range(2):
                started = time.perf_counter()
                result = recalc_tiers(session)
                timings.append((round(time.perf_counter() - started, 2), result.upgraded, result.downgraded))
        db.engine.dispose()
    return {"fill_seconds": round(filled, 1), "runs": timings}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for engine in args.engines.split(","):
        with throwaway_database(engine, args.work_dir, f"tiers-{args.buyers}-{args.orders}") as url:
            if url is None:
                print(f"{engine}: skipped (set BENCH_DATABASE_URL)")
                continue
            figures = measure(url, args.buyers, args.orders)
        record = {"engine": engine, "buyers": args.buyers, "orders": args.orders, **figures}
        print(
            f"{engine}: {args.buyers} buyers, {args.orders} orders: recalc-tiers first run {figures['runs'][0][0]} s, "
            f"second run {figures['runs'][1][0]} s (fill {figures['fill_seconds']} s)"
        )
        args.results_dir.mkdir(parents=True, exist_ok=True)
        out = args.results_dir / f"tiers-{engine}-{args.buyers}-{args.orders}.json"
        out.write_text(json.dumps(record, indent=2))
        records.append(record)
    return records


if __name__ == "__main__":
    main()
