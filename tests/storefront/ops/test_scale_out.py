"""Two gunicorn processes (``gunicorn.conf.py``, production settings) on one PostgreSQL schema and one Redis behave
as one shop: a session from one is good on the other, the sign-in limit counts across both, and two job runners
started together run each job once. PostgreSQL and the Redis on 127.0.0.1:6379 only (database 12, flushed).

The per-process caches (``storefront.memo``) are not shared and not invalidated across processes by design: each
may show a category tree or count up to ``CATEGORY_CACHE_SECONDS`` old, so there is no cross-process cache to test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront import jobs
from storefront.jobs import JobRun
from tests.support import factories
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = "redis://127.0.0.1:6379/12"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BUYER_PASSWORD = "correct horse battery"


def _redis() -> redis.Redis | None:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except redis.RedisError:
        return None


pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(_redis() is None, reason=f"no Redis reachable at {REDIS_URL}"),
]


def _environment(app: Flask, instance: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MOSTIK_ENV": "production",
        "MOSTIK_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "scale-out-secret-key-shared-by-both",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": REDIS_URL,
        "LOGIN_LIMIT_PER_IP": "3 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT": "100 per minute",
        "JOBS_IN_PROCESS": "0",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


@dataclass
class Browser:
    """A browser on plain HTTP: production cookies are ``Secure``, so the cookie header is kept by hand."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        answer = requests.request(method, url, headers=headers, allow_redirects=False, timeout=30, **kwargs)
        self.cookies.update(answer.cookies.get_dict())
        return answer

    def sign_in(self, base: str, email: str, password: str) -> requests.Response:
        token = CSRF_RE.search(self.request("GET", f"{base}/account/login").text)
        assert token, "no CSRF token on the sign-in page"
        form = {"csrf_token": token.group(1), "email": email, "password": password}
        return self.request("POST", f"{base}/account/login", data=form)


@pytest.fixture
def flushed_redis() -> Iterator[redis.Redis]:
    client = _redis()
    assert client is not None
    client.flushdb()  # database 12 only
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def two_servers(app: Flask, tmp_path: Path, flushed_redis: redis.Redis) -> Iterator[list[str]]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    processes: list[tuple[subprocess.Popen, Path]] = []
    bases = []
    for name in ("a", "b"):
        port = free_port()
        log = tmp_path / f"gunicorn-{name}.log"
        env = _environment(app, tmp_path, WEB_BIND=f"127.0.0.1:{port}", WEB_WORKERS="1")
        with log.open("w") as output:
            process = subprocess.Popen(
                [gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        processes.append((process, log))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for (process, log), base in zip(processes, bases, strict=True):
            _wait_until_ready(base, process, log)
        yield bases
    finally:
        for process, _ in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            assert "Traceback" not in log.read_text(), log.read_text()


def _wait_until_ready(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()}")
        try:
            if requests.get(f"{base}/readyz", timeout=5).json()["checks"] == {"database": "ok", "redis": "ok"}:
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.2)
    pytest.fail(f"{base} never became ready: {log.read_text()}")


def test_two_processes_behave_as_one_shop(two_servers: list[str], session: Session, flushed_redis: redis.Redis) -> None:
    first, second = two_servers
    factories.create_buyer(session, email="anna@example.ru", password=BUYER_PASSWORD, name="Анна Смирнова")
    session.commit()

    # A session made by one process is good on the other (one SECRET_KEY, the buyer in one database).
    browser = Browser()
    assert browser.sign_in(first, "anna@example.ru", BUYER_PASSWORD).status_code == 302
    profile = browser.request("GET", f"{second}/account/")
    assert profile.status_code == 200 and "Анна Смирнова" in profile.text
    assert "Анна Смирнова" not in Browser().request("GET", f"{second}/account/").text  # no cookie: sent to sign in

    # The sign-in limit (3 a minute per client) counts in Redis: tries on both processes add up.
    flushed_redis.flushdb()
    statuses = [
        Browser().sign_in(base, "anna@example.ru", "wrong password").status_code
        for base in (first, second, first, second)
    ]
    assert statuses == [400, 400, 400, 429]
    assert Browser().sign_in(first, "anna@example.ru", BUYER_PASSWORD).status_code == 429  # blocked on both


def test_two_job_runners_started_together_run_each_job_once(app: Flask, session: Session, tmp_path: Path) -> None:
    env = _environment(app, tmp_path, LOG_TO_STDOUT="0")
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run-due"]
    runners = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [runner.communicate(timeout=180) for runner in runners]
    for runner, (_, errors) in zip(runners, outputs, strict=True):
        assert runner.returncode == 0, errors
    ran = [line.split(":", 1)[0] for stdout, _ in outputs for line in stdout.splitlines() if ": " in line]
    expected = sorted(job.name for job in jobs.registered_jobs())
    assert sorted(ran) == expected  # every job once, whichever runner claimed it
    assert session.scalar(select(func.count()).select_from(JobRun)) == len(expected)
