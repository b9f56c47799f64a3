"""The benchmark harness runs end to end at a tiny N (a smoke test: no timing is asserted)."""

import json
import shutil

import pytest

from bench import run


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_bench_harness_runs_at_tiny_n_and_writes_json(tmp_path):
    written = run.main(
        [
            "--products", "300", "--engines", "sqlite", "--duration", "1", "--warmup", "0", "--port", "8791",
            "--work-dir", str(tmp_path / "work"), "--results-dir", str(tmp_path / "results"),
        ]
    )  # fmt: skip
    assert len(written) == 1
    record = json.loads(written[0].read_text())
    assert record["engine"] == "sqlite" and record["products"] == 300
    assert set(record["results"]) == set(run.PAGES)
    for figures in record["results"].values():
        assert figures["requests"] > 0 and figures["errors"] == 0 and figures["non_2xx"] == 0
    assert record["plans"]["category_page_1"]
