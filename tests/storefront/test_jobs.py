"""A periodic job whose runner is killed mid-run (a real process, SIGKILL) is run again by the next runner once
its lease has run out, and finishes once; within the lease nobody takes it over. Both engines."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from storefront import jobs
from storefront.db import utcnow
from storefront.jobs import JobRun, PeriodicJob, run_due

NAME = "test-blocking-job"
LEASE = timedelta(minutes=2)

#: The dying runner: an app on the test database whose only job says it started, then blocks until killed.
CHILD = f"""
import sys, time
from datetime import timedelta
from pathlib import Path

import wsgi
from storefront import jobs
from storefront.extensions import db
from tests.support.database import make_test_config

app = wsgi.create_app(make_test_config(sys.argv[1], Path(sys.argv[2])))
jobs._registry.clear()

@jobs.periodic({NAME!r}, every=timedelta(hours=1), lease=timedelta(seconds={LEASE.total_seconds()}))
def block(session, now):
    print("started", flush=True)
    time.sleep(3600)

with app.app_context():
    jobs.run_due(db.session(), app=app)
"""


def test_a_job_whose_runner_is_killed_mid_run_is_run_again_after_its_lease_and_finishes_once(
    app: Flask, session: Session, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, os.environ["MOSTIK_INSTANCE_PATH"]],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            ready, _, _ = select.select([child.stdout], [], [], 120)
            assert ready and child.stdout.readline().strip() == "started"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
    held = session.get(JobRun, NAME)
    assert held is not None and held.run_token is not None and held.last_finished_at is None
    assert held.last_started_at is not None
    started = held.last_started_at

    runs: list[str] = []

    def finish(session: Session, now: object) -> str:
        runs.append("run")
        return "done"

    monkeypatch.setattr(jobs, "_registry", {NAME: PeriodicJob(NAME, timedelta(hours=1), finish, lease=LEASE)})
    with app.app_context():
        assert run_due(session, started + timedelta(seconds=30), app=app) == []  # the dead runner's lease holds
        assert run_due(session, started + LEASE + timedelta(seconds=1), app=app) == [(NAME, "done")]
        assert run_due(session, started + LEASE + timedelta(minutes=5), app=app) == []  # done: not due again yet
    assert runs == ["run"]
    session.expire_all()
    done = session.get(JobRun, NAME)
    assert done is not None and (done.last_result, done.run_token, done.lease_until) == ("done", None, None)
    assert utcnow() - timedelta(minutes=5) < (done.last_finished_at or started) <= utcnow()
