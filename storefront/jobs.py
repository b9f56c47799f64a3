"""Periodic jobs: one registry, run by ``flask run-due``, by an in-process timer in the
embedded demo, and by Celery beat in production (each calls ``run_due``).

A job is due when its interval has passed since its last successful run, recorded in
``job_runs``. Claiming a run is one conditional UPDATE, so two runners never start the same
job at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storefront.db import Base, rowcount, utcnow

logger = logging.getLogger(__name__)

JobFunction = Callable[[Session, datetime], str | None]


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


_registry: dict[str, PeriodicJob] = {}


def periodic(name: str, every: timedelta) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(session, now)`` to run every ``every``; it owns its commit."""

    def decorator(function: JobFunction) -> JobFunction:
        _registry[name] = PeriodicJob(name, every, function)
        return function

    return decorator


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


def run_due(session: Session, now: datetime | None = None) -> list[tuple[str, str]]:
    """Run every registered job that is due; return (job name, result) pairs."""
    now = now or utcnow()
    results: list[tuple[str, str]] = []
    for job in registered_jobs():
        if not _claim(session, job, now):
            continue
        try:
            result = job.run(session, now) or "ok"
        except Exception:  # a failing job must not stop the others
            session.rollback()
            logger.exception("periodic job %s failed", job.name)
            result = "failed"
        session.execute(
            update(JobRun).where(JobRun.name == job.name).values(last_finished_at=utcnow(), last_result=result[:500])
        )
        session.commit()
        results.append((job.name, result))
    return results


def last_runs(session: Session) -> dict[str, JobRun]:
    return {run.name: run for run in session.scalars(select(JobRun))}


def start_in_process_runner(app: Flask, interval_seconds: float = 60.0) -> threading.Thread:
    """The embedded demo's scheduler: a daemon thread calling ``run_due`` every minute."""
    from storefront.extensions import db

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval_seconds):
            with app.app_context():
                try:
                    run_due(db.session())
                except Exception:
                    logger.exception("in-process job runner failed")
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="mostik-jobs", daemon=True)
    thread.start()
    return thread
