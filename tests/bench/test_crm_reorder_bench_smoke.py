"""The reorder benchmark runs end to end at a tiny N (a smoke test: no timing is asserted)."""

from pathlib import Path

from bench import reorder


def test_the_reorder_benchmark_runs_at_tiny_n_and_both_runs_agree(tmp_path: Path) -> None:
    records = reorder.main(
        ["--buyers", "40", "--orders", "200", "--engines", "sqlite", "--work-dir", str(tmp_path / "work"),
         "--results-dir", str(tmp_path / "results")]
    )  # fmt: skip
    (record,) = records
    (_, first), (_, second) = record["runs"]
    assert sum(first.values()) == 40
    assert first == second
    assert set(record["analytics_seconds"]) == {"repeat_rate", "orders_per_year", "second_order", "cohorts"}
    assert (tmp_path / "results" / "reorder-sqlite-40-200.json").exists()
