"""The production profile for background work: Celery with Redis (``REDIS_URL``) as broker and result store.

Worker and beat (see the README)::

    celery -A crm.campaigns.celery_app:celery worker --loglevel=info
    celery -A crm.campaigns.celery_app:celery beat --loglevel=info

Beat runs ``mostik.run_due`` every minute — the same registry of periodic jobs as ``flask --app wsgi run-due``
(order expiry, tier recalculation, campaign triggers and sending); each job is claimed in ``job_runs``, so a
beat tick and a cron ``run-due`` never run one job twice at once. ``mostik.send_campaign_batch`` sends one
batch on demand (e.g. right after a marketer presses «send now»). The Flask app is built on first use of the
module attribute ``celery`` (Flask's ``celery_init_app`` pattern), never at import.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from storefront.moscow import MOSCOW

RUN_DUE_EVERY_SECONDS = 60.0


def celery_init_app(app: Flask) -> Celery:
    """A Celery app whose tasks run inside ``app``'s context; stored in ``app.extensions['celery']``."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    redis_url = app.config.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    celery_app = Celery(app.name, task_cls=FlaskTask, broker=redis_url, backend=redis_url)
    celery_app.conf.update(
        task_default_queue=app.config["CELERY_QUEUE"],
        task_acks_late=True,  # a worker killed mid-task leaves it queued; our tasks are safe to repeat
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule={"run-due": {"task": "mostik.run_due", "schedule": RUN_DUE_EVERY_SECONDS}},
        timezone=MOSCOW.key,
    )

    @celery_app.task(name="mostik.run_due")
    def run_due_task() -> list[tuple[str, str]]:
        from storefront.extensions import db
        from storefront.jobs import run_due

        try:
            return run_due(db.session(), app=app)
        finally:
            db.session.remove()

    @celery_app.task(name="mostik.send_campaign_batch")
    def send_campaign_batch() -> str:
        from crm.campaigns.jobs import sender_settings, telegram_bot
        from crm.campaigns.sending import send_due
        from storefront.extensions import db

        try:
            return str(send_due(db.session(), sender_settings(app), bot=telegram_bot(app)))
        finally:
            db.session.remove()

    app.extensions["celery"] = celery_app
    return celery_app


_celery: Celery | None = None


def __getattr__(name: str) -> Celery:
    """``crm.campaigns.celery_app:celery`` for the Celery CLI: the app is built on first access."""
    global _celery
    if name != "celery":
        raise AttributeError(name)
    if _celery is None:
        import wsgi

        _celery = celery_init_app(wsgi.create_app())
    return _celery
