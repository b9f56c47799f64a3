"""The campaign sending benchmark runs end to end at a tiny N (a smoke test: no timing is asserted)."""

from pathlib import Path

from bench import campaign


def test_the_campaign_benchmark_sends_every_message_at_tiny_n(tmp_path: Path) -> None:
    (record,) = campaign.main(
        ["--recipients", "30", "--batch-size", "7", "--engines", "sqlite", "--work-dir", str(tmp_path / "work"),
         "--results-dir", str(tmp_path / "results")]
    )  # fmt: skip
    assert record["sent"] == 30 and record["messages_per_second"] > 0
    assert record["bare_smtplib_messages_per_second"] > 0 and record["ratio"] > 0
    assert (tmp_path / "results" / "campaign-sqlite-30.json").exists()
