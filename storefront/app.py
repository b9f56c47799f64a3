"""The storefront application factory. It knows nothing of ``crm`` (see ``wsgi.py``)."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from storefront import errors, i18n, input_bounds, ops, security
from storefront.config import PROJECT_ROOT, SETTINGS, load_config
from storefront.config import instance_path as config_instance_path
from storefront.extensions import csrf, db, migrate
from storefront.ops.logs import logging_config
from storefront.ops.metrics import register_gauge
from storefront.outbox import outbox_depth
from storefront.proxies import TrustedProxies


def _configure_logging(app: Flask) -> None:
    """Every logger to stdout: JSON lines in production, readable lines elsewhere; request ids, nothing personal."""
    if app.debug or app.testing or not app.config["LOG_TO_STDOUT"]:
        return
    secrets = [str(app.config[setting.key]) for setting in SETTINGS if setting.secret and app.config.get(setting.key)]
    logging.config.dictConfig(logging_config(json_lines=app.config["MOSTIK_ENV"] == "production", secrets=secrets))


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL for concurrent readers, foreign keys on, and a busy timeout instead of instant 'locked'."""

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the storefront: config, logging, extensions, blueprints, CLI commands."""
    instance_path = config_instance_path()
    app = Flask(
        "storefront",
        instance_path=str(instance_path),
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder="templates",
    )
    app.config.from_mapping(load_config(instance_path, config))
    _configure_logging(app)

    from storefront import models  # noqa: F401  (all tables on the metadata)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_pragmas(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    input_bounds.init_app(app)
    # Before Flask sees a request: the client behind our proxies, not the proxy (limits, audit, consents).
    app.wsgi_app = TrustedProxies.from_config(app.config["TRUSTED_PROXIES"]).wrap(app.wsgi_app)  # type: ignore[method-assign]
    # Outermost: the request id, the probes without sessions, metrics and access lines (storefront/ops).
    ops.init_app(app)
    register_gauge("mostik_outbox_depth", "E-mails waiting in the outbox", lambda: outbox_depth(db.session()))

    from storefront import (
        account,
        banking,
        cart,
        catalog,
        checkout,
        cli,
        documents,
        emails,
        feeds,
        fulfilment,
        legal,
        order,
        payment,
        pictures,
        privacy,
        protection,
        quotes,
        search,
        seller,
        settlement,
        telegram,
        templating,
    )

    seller.init_app(app)
    templating.init_app(app)
    emails.install()
    catalog.init_app(app)
    search.init_app(app)
    feeds.init_app(app)
    pictures.init_app(app)
    account.init_app(app)
    cart.init_app(app)
    order.init_app(app)
    documents.init_app(app)
    fulfilment.init_app(app)
    payment.init_app(app)
    banking.init_app(app)
    settlement.init_app(app)
    protection.init_app(app)
    checkout.init_app(app)
    quotes.init_app(app)
    legal.init_app(app)
    privacy.init_app(app)
    telegram.init_app(app)
    cli.init_app(app)
    return app
