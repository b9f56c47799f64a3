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


def test_a_kept_tier_benchmark_database_is_reused_from_the_first_run_state(tmp_path: Path) -> None:
    args = ["--buyers", "40", "--orders", "200", "--engines", "sqlite", "--keep", "--work-dir", str(tmp_path / "work"),
            "--results-dir", str(tmp_path / "results")]  # fmt: skip
    (filled,) = tiers.main(args)
    (reused,) = tiers.main(args)
    assert filled["fill_seconds"] is not None and reused["fill_seconds"] is None
    # The reset puts every buyer back without a tier: the first run assigns all of them again.
    assert [run[1:] for run in reused["runs"]] == [run[1:] for run in filled["runs"]] == [(40, 0), (0, 0)]
    assert (tmp_path / "work" / "tiers-40-200-kept.db").exists()
    assert len(reused["load_average_before"]) == 3
