"""The order-list benchmark runs end to end at a tiny N (a smoke test: no timing is asserted)."""

import json
from pathlib import Path

from bench import order_list


def test_the_order_list_benchmark_times_both_lists_and_saves_the_plans(tmp_path: Path) -> None:
    order_list.main(
        ["--buyers", "60", "--orders", "400", "--engines", "sqlite", "--work-dir", str(tmp_path / "work"),
         "--results-dir", str(tmp_path / "results")]
    )  # fmt: skip
    record = json.loads((tmp_path / "results" / "order-list-sqlite-60-400.json").read_text())
    assert "buyer list, page 3 (bench.buyer_list default)" in record["page_ms"]
    assert "order list, first page" in record["page_ms"]
    plans = (tmp_path / "results" / "order-list-sqlite-60-400-plans.txt").read_text()
    assert "ix_orders_created_at" in plans and "ix_orders_status_payment" in plans
