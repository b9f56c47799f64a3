"""The feed import benchmark runs end to end at a tiny N (a smoke test: no timing is asserted)."""

from pathlib import Path

from bench import feed_import


def test_the_feed_import_benchmark_imports_and_re_imports_at_tiny_n(tmp_path: Path) -> None:
    (record,) = feed_import.main(
        ["--offers", "600", "--engines", "sqlite", "--work-dir", str(tmp_path / "work"),
         "--results-dir", str(tmp_path / "results")]
    )  # fmt: skip
    expected = feed_import.expected(600)
    assert expected == {"good": 598, "bad": 2, "changed": 30}
    assert record["first_import"]["created"] == expected["good"]
    assert record["reimport_5pc"]["created"] == 0 and record["reimport_5pc"]["updated"] == expected["good"]
    assert record["first_import"]["problems"] == record["reimport_5pc"]["problems"] == expected["bad"]
    assert record["reader_changed"]["offers"] == 600
    assert record["ratio"] > 0 and 0 < record["peak_rss_mb"] < 1000
    assert (tmp_path / "results" / "feed-import-sqlite-600.json").exists()
