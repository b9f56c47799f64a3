"""The segment benchmark runs end to end at a tiny N (a smoke test: no timing is asserted)."""

from pathlib import Path

from bench import segments


def test_the_segment_benchmark_runs_at_tiny_n_and_reuses_its_data(tmp_path: Path) -> None:
    args = ["--buyers", "60", "--engines", "sqlite", "--repeat", "1", "--work-dir", str(tmp_path / "work"),
            "--results-dir", str(tmp_path / "results")]  # fmt: skip
    (first,) = segments.main(args)
    assert first["fill_seconds"] is not None and first["orders"] == 180
    assert set(first["segments"]) == set(segments.SEGMENTS)
    assert first["calibration_count_orders_ms"] >= 0
    assert all(0 <= result["count"] <= 60 for result in first["segments"].values())
    assert any(result["count"] > 0 for result in first["segments"].values())
    (again,) = segments.main(args)
    assert again["fill_seconds"] is None  # reused
    assert {k: v["count"] for k, v in again["segments"].items()} == {
        k: v["count"] for k, v in first["segments"].items()
    }
    assert (tmp_path / "results" / "segments-sqlite-60.json").exists()
