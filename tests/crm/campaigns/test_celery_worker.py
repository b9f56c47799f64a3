"""A real Celery worker (subprocess) on the Redis at 127.0.0.1:6379 sends a scheduled campaign."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import Celery
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns.models import CampaignRecipient, RecipientStatus
from crm.campaigns.services import schedule_campaign
from storefront.db import utcnow
from tests.support import factories

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[3]


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis reachable at {REDIS_URL}")


def test_a_real_worker_sends_a_campaign_batch(app: Flask, session: Session, mailbox) -> None:
    factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    campaign = factories.create_campaign(session)
    session.commit()
    schedule_campaign(session, campaign, utcnow(), utcnow())
    session.commit()
    queue = f"mostik-test-{secrets.token_hex(4)}"  # other runs may share this Redis
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": queue,
        "MOSTIK_ENV": "testing",
        "CAMPAIGN_SEND_RATE": "0",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm.campaigns.celery_app:celery",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "--loglevel=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    client = Celery("test-client", broker=REDIS_URL, backend=REDIS_URL)
    result = None
    try:
        result = client.send_task("mostik.send_campaign_batch", queue=queue)
        outcome = result.get(timeout=90)
        assert outcome.startswith("sent 1,"), outcome
        deadline = time.monotonic() + 10
        while not mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [m["To"] for m in mailbox.messages] == ["anna@example.ru"]
        session.expire_all()
        (row,) = session.scalars(select(CampaignRecipient)).all()
        assert row.status == RecipientStatus.SENT
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
        if result is not None:
            result.forget()
        client.close()
    assert "Traceback" not in output, output
