"""Periodic jobs: one registry, run by ``flask run-due``, by an in-process timer in the
embedded demo, and by Celery beat in production (each calls ``run_due``).

A job is due when its interval has passed since its last successful run, recorded in
``job_runs``. Claiming a run is one conditional UPDATE, so two runners never start the same
job at once.

Jobs get what they need from the app explicitly: ``@periodic(..., needs={"gateway": extension("payment_gateway")})``
names, per keyword argument, a provider ``provider(app)`` that the runner calls with the app it runs for (an
``app.extensions`` entry built once in ``init_app``, or a settings object read from ``app.config`` at run time).
A job function itself never reads ``current_app``.
"""

from __future__ import annotations

import logging
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


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: JobFunction
    #: keyword argument → provider(app): what the runner passes to ``run`` besides the session and the time.
    needs: Mapping[str, Provider] = field(default_factory=dict)

    def arguments(self, app: Flask) -> dict[str, Any]:
        return {name: provide(app) for name, provide in self.needs.items()}


_registry: dict[str, PeriodicJob] = {}


def periodic(
    name: str, every: timedelta, needs: Mapping[str, Provider] | None = None
) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(session, now, **needs)`` to run every ``every``; it owns its commit.

    ``needs`` maps each further keyword argument to the provider the runner calls with the app."""

    def decorator(function: JobFunction) -> JobFunction:
        _registry[name] = PeriodicJob(name, every, function, dict(needs or {}))
        return function

    return decorator


def extension(key: str) -> Provider:
    """A provider of ``app.extensions[key]`` (a service built once by an ``init_app``)."""

    def provide(app: Flask) -> Any:
        return app.extensions[key]

    return provide


def registered_jobs() -> list[PeriodicJob]:
    return sorted(_registry.values(), key=lambda job: job.name)


def _claim(session: Session, job: PeriodicJob, now: datetime) -> bool:
    """Mark ``job`` started if it is due; False when it is not due or another runner has it."""
    try:
        session.execute(insert(JobRun).values(name=job.name))
        session.commit()
    except IntegrityError:
        session.rollback()
    due_before = now - job.every
    claimed = rowcount(
        session.execute(
            update(JobRun)
            .where(JobRun.name == job.name)
            .where((JobRun.last_started_at.is_(None)) | (JobRun.last_started_at <= due_before))
            .values(last_started_at=now)
        )
    )
    session.commit()
    return claimed == 1


def run_due(session: Session, now: datetime | None = None, *, app: Flask) -> list[tuple[str, str]]:
    """Run every registered job that is due for ``app``; return (job name, result) pairs."""
    now = now or utcnow()
    results: list[tuple[str, str]] = []
    for job in registered_jobs():
        if not _claim(session, job, now):
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
        session.execute(
            update(JobRun).where(JobRun.name == job.name).values(last_finished_at=utcnow(), last_result=result[:500])
        )
        session.commit()
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
