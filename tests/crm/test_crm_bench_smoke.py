"""The recalc-tiers benchmark runs end to end at a tiny N (a smoke test: no timing is asserted)."""

from pathlib import Path

from bench import tiers


def test_the_tier_benchmark_runs_at_tiny_n_and_the_second_run_changes_nothing(tmp_path: Path) -> None:
    records = tiers.main(
        ["--buyers", "50", "--orders", "300", "--engines", "sqlite", "--work-dir", str(tmp_path / "work"),
         "--results-dir", str(tmp_path / "results")]
    )  # fmt: skip
    (record,) = records
    (first_seconds, first_up, _), (_, second_up, second_down) = record["runs"]
    assert first_up == 50
    assert (second_up, second_down) == (0, 0)
    assert (tmp_path / "results" / "tiers-sqlite-50-300.json").exists()
