"""Periodic jobs: one registry, run by ``flask run-due``, by an in-process timer in the
embedded demo, and by Celery beat in production (each calls ``run_due``).

A job is due when its interval has passed since its last run started, recorded in ``job_runs``.
Claiming a run is one conditional UPDATE that also takes a lease (``@periodic(..., lease=)``, 15 minutes unless
the job says otherwise) with a run token, so two runners never start the same job at once. The run's end is
recorded by its token and frees the lease. A runner that dies mid-run leaves the lease in place: when it has run
out, the next runner runs the job again (jobs are written to be re-run: each commits what it has done). A job
must finish well within its lease, or a second runner starts it alongside.

Jobs get what they need from the app explicitly: ``@periodic(..., needs={"gateway": extension("payment_gateway")})``
names, per keyword argument, a provider ``provider(app)`` that the runner calls with the app it runs for (an
``app.extensions`` entry built once in ``init_app``, or a settings object read from ``app.config`` at run time).
A job function itself never reads ``current_app``.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import String, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storefront.db import Base, rowcount, utcnow
from storefront.ops.metrics import JOB_FAILURES, JOB_RUNS

logger = logging.getLogger(__name__)

#: ``function(session, now, **needed)``: the keyword arguments are the job's ``needs``; the result is logged
#: as text (``str(result)``; None → "ok").
JobFunction = Callable[..., object]
#: What a job needs from the app it runs for: ``provider(app) -> value``.
Provider = Callable[[Flask], Any]


class JobRun(Base):
    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column()
    last_finished_at: Mapped[datetime | None] = mapped_column()
    last_result: Mapped[str | None] = mapped_column(String(500))
    #: While a run holds the job: its token and until when (a runner that died holds it until then).
    run_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column()


#: How long a run holds its job unless the job declares its own lease.
DEFAULT_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: JobFunction
    #: keyword argument → provider(app): what the runner passes to ``run`` besides the session and the time.
    needs: Mapping[str, Provider] = field(default_factory=dict)
    #: How long a run may take before another runner may take the job over (its runner presumed dead).
    lease: timedelta = DEFAULT_LEASE

    def arguments(self, app: Flask) -> dict[str, Any]:
        return {name: provide(app) for name, provide in self.needs.items()}


_registry: dict[str, PeriodicJob] = {}


def periodic(
    name: str, every: timedelta, needs: Mapping[str, Provider] | None = None, lease: timedelta = DEFAULT_LEASE
) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(session, now, **needs)`` to run every ``every``; it owns its commit.

    ``needs`` maps each further keyword argument to the provider the runner calls with the app; ``lease`` is how
    long a run may take before the job is taken to have died with its runner and is run again."""

    def decorator(function: JobFunction) -> JobFunction:
        _registry[name] = PeriodicJob(name, every, function, dict(needs or {}), lease)
        return function

    return decorator


def extension(key: str) -> Provider:
    """A provider of ``app.extensions[key]`` (a service built once by an ``init_app``)."""

    def provide(app: Flask) -> Any:
        return app.extensions[key]

    return provide


def registered_jobs() -> list[PeriodicJob]:
    return sorted(_registry.values(), key=lambda job: job.name)


def _claim(session: Session, job: PeriodicJob, now: datetime) -> str | None:
    """Take ``job`` for one run if it is due, or if the last run's lease ran out without it finishing (its runner
    died); the run's token, or None when it is not due or another runner holds it."""
    try:
        session.execute(insert(JobRun).values(name=job.name))
        session.commit()
    except IntegrityError:
        session.rollback()
    token = secrets.token_hex(8)
    due_before = now - job.every
    idle_and_due = JobRun.run_token.is_(None) & (
        JobRun.last_started_at.is_(None) | (JobRun.last_started_at <= due_before)
    )
    abandoned = JobRun.run_token.is_not(None) & (JobRun.lease_until <= now)
    claimed = rowcount(
        session.execute(
            update(JobRun)
            .where(JobRun.name == job.name)
            .where(idle_and_due | abandoned)
            .values(last_started_at=now, run_token=token, lease_until=now + job.lease)
        )
    )
    session.commit()
    return token if claimed == 1 else None


def run_due(session: Session, now: datetime | None = None, *, app: Flask) -> list[tuple[str, str]]:
    """Run every registered job that is due for ``app``; return (job name, result) pairs."""
    now = now or utcnow()
    results: list[tuple[str, str]] = []
    for job in registered_jobs():
        token = _claim(session, job, now)
        if token is None:
            continue
        JOB_RUNS.labels(job.name).inc()
        try:
            outcome = job.run(session, now, **job.arguments(app))
            result = "ok" if outcome is None else (str(outcome) or "ok")
        except Exception:  # a failing job must not stop the others
            session.rollback()
            logger.exception("periodic job %s failed", job.name)
            JOB_FAILURES.labels(job.name).inc()
            result = "failed"
        finished = rowcount(
            session.execute(
                update(JobRun)
                .where(JobRun.name == job.name, JobRun.run_token == token)
                .values(last_finished_at=utcnow(), last_result=result[:500], run_token=None, lease_until=None)
            )
        )
        session.commit()
        if not finished:
            logger.warning("periodic job %s outran its lease of %s: another runner took it over", job.name, job.lease)
        results.append((job.name, result))
    return results


def start_in_process_runner(app: Flask, interval_seconds: float = 60.0) -> threading.Thread:
    """The embedded demo's scheduler: a daemon thread calling ``run_due`` every minute."""
    from storefront.extensions import db

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval_seconds):
            with app.app_context():
                try:
                    run_due(db.session(), app=app)
                except Exception:
                    logger.exception("in-process job runner failed")
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="mostik-jobs", daemon=True)
    thread.start()
    return thread
