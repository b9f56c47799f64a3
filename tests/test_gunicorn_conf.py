"""``gunicorn.conf.py``: its settings follow the environment through ``storefront.config``, and its hooks keep the
multi-process metrics folder right."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def _load(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict:
    for name in ("WEB_BIND", "WEB_WORKERS", "WEB_TIMEOUT_SECONDS", "TRUSTED_PROXIES", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _load(
        monkeypatch,
        MOSTIK_ENV="production",
        LOG_TO_STDOUT="1",
        WEB_BIND="0.0.0.0:8080",
        WEB_WORKERS="3",
        WEB_TIMEOUT_SECONDS="45",
        TRUSTED_PROXIES="10.0.0.1/8, 192.0.2.7",
    )
    assert conf["wsgi_app"] == "wsgi:create_app()"
    assert conf["bind"] == ["0.0.0.0:8080"] and conf["workers"] == 3
    assert conf["timeout"] == conf["graceful_timeout"] == 45
    assert conf["forwarded_allow_ips"] == "10.0.0.0/8,192.0.2.7/32"
    assert conf["accesslog"] is None
    logging = conf["logconfig_dict"]
    assert logging["handlers"]["stdout"]["formatter"] == "json"
    assert logging["loggers"]["gunicorn.access"]["propagate"] is False  # one access line: the app's


def test_defaults_trust_no_proxy_and_scale_with_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    conf = _load(monkeypatch, MOSTIK_ENV="production", LOG_TO_STDOUT="0")
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert conf["forwarded_allow_ips"] == ""
    assert "logconfig_dict" not in conf  # LOG_TO_STDOUT off: gunicorn's own logging, as the benchmark wants


def test_a_bad_worker_count_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from storefront.config import ConfigError

    with pytest.raises(ConfigError, match="WEB_WORKERS"):
        _load(monkeypatch, WEB_WORKERS="many")


def test_the_metrics_folder_is_emptied_at_start_and_dead_workers_are_marked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old run")
    (folder / "gauge_livesum_4242.db").write_bytes(b"")
    conf = _load(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(folder))
    conf["on_starting"](None)
    assert list(folder.iterdir()) == []
    (folder / "gauge_livesum_4242.db").write_bytes(b"")
    (folder / "counter_4242.db").write_bytes(b"")
    conf["child_exit"](None, SimpleNamespace(pid=4242))
    assert [path.name for path in folder.iterdir()] == ["counter_4242.db"]  # counts stay counted


def test_a_loaded_worker_freezes_what_it_holds_and_collects_young_objects_less_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    conf = _load(monkeypatch, MOSTIK_ENV="production", LOG_TO_STDOUT="0")
    before = gc.get_threshold()
    try:
        conf["post_worker_init"](SimpleNamespace())
        assert gc.get_threshold() == conf["GC_THRESHOLDS"]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
