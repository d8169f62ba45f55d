"""Atrium: a self-hosted help desk and project hub on Flask-AppBuilder."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import csrf, db, migrate

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")


def create_app(config_class: type | None = None) -> Flask:
    """Build a fully wired Atrium application for ``config_class``."""
    from config import config_from_env

    config_class = config_class or config_from_env()
    app = Flask(__name__, instance_path=config_class.INSTANCE_DIR)
    app.config.from_object(config_class)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _load_runtime_secrets(app, config_class)
    config_class.validate(app.config)
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    _tune_postgresql(app)
    db.init_app(app)
    _configure_sqlite(app)
    from app.models.knowledge import include_schema_object

    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS_DIR,
        render_as_batch=True,
        compare_type=True,
        include_object=include_schema_object,
    )
    csrf.init_app(app)

    from app.jobs import init_queue
    from app.security import init_security_hooks
    from app.views import register_views

    with app.app_context():
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
    init_security_hooks(app)
    init_queue(app)

    from app.cli import register_cli

    register_cli(app)
    return app


def _load_runtime_secrets(app: Flask, config_class: type) -> None:
    """Use a generated, persisted secret in embedded mode when none is configured."""
    if app.config.get("SECRET_KEY") or not config_class.GENERATE_SECRET_KEY:
        return
    path = Path(app.instance_path) / "secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    app.config["SECRET_KEY"] = path.read_text().strip()


def _tune_postgresql(app: Flask) -> None:
    """psycopg's automatic server-side prepare slowed filtered lists: turn it off."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("prepare_threshold", None)
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _configure_sqlite(app: Flask) -> None:
    """Turn on WAL, foreign keys and a busy timeout for every SQLite connection."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite"):
        return
    from sqlalchemy import event

    timeout = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    in_memory = uri in ("sqlite://", "sqlite:///:memory:")

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {timeout}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    with app.app_context():
        event.listen(db.engine, "connect", on_connect)
