"""A shop wired to the Bot API stand-in and served on a real HTTP server, so the stand-in's updates reach it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

import wsgi
from devtools.telegram_standin import BotApiStandIn
from storefront.extensions import db
from tests.support.database import make_test_config

SECRET = "webhook-secret_0123456789"


@pytest.fixture(scope="module")
def bot_api() -> Iterator[BotApiStandIn]:
    with BotApiStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def tg_app(app: Flask, database_url: str, bot_api: BotApiStandIn, tmp_path_factory) -> Iterator[Flask]:
    config = make_test_config(
        database_url,
        Path(tmp_path_factory.mktemp("telegram-instance")),
        TELEGRAM_BOT_TOKEN=bot_api.token,
        TELEGRAM_BOT_USERNAME="mostik_demo_bot",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_URL=bot_api.api_url,
        TELEGRAM_TIMEOUT_SECONDS=2.0,
    )
    application = wsgi.create_app(config)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="telegram-live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    with application.app_context():
        application.extensions["telegram_bot"].set_webhook(f"{base_url}/telegram/webhook", SECRET)
    yield application
    server.shutdown()
    thread.join(timeout=5)
    with application.app_context():
        db.engine.dispose()
