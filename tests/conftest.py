"""Shared fixtures: one app per session, a clean database per test, login helpers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from app import MIGRATIONS_DIR, create_app
from app.extensions import db
from app.jobs import EXTENSION_KEY
from app.models.knowledge import SQLITE_FTS_TABLE
from config import TestingConfig
from tests import factories
from tests.mailservers import DovecotServer, SmtpSink

#: FAB's permission tables survive between tests; everything else is emptied.
KEPT_TABLES = frozenset(
    {
        "alembic_version",
        "ab_permission",
        "ab_view_menu",
        "ab_permission_view",
        "ab_role",
        "ab_permission_view_role",
    }
)


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def database_url(instance_dir: Path) -> Iterator[str]:
    """SQLite in a temp file, or a throwaway PostgreSQL when ATRIUM_TEST_DB=postgres."""
    if os.environ.get("ATRIUM_TEST_DB") == "postgres":
        from tests.pg import TemporaryPostgres

        cluster = TemporaryPostgres()
        try:
            yield cluster.start()
        finally:
            cluster.stop()
    else:
        yield f"sqlite:///{instance_dir / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url: str, instance_dir: Path) -> Iterator[Flask]:
    """The application under test, migrated to head with roles in place."""

    class SuiteConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_DIR = str(instance_dir)
        STORAGE_DIR = str(instance_dir / "storage")

    application = create_app(SuiteConfig)
    application.extensions[EXTENSION_KEY].connection = fakeredis.FakeRedis()
    with application.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        from app.services.roles import sync_permissions_and_roles

        sync_permissions_and_roles()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEPT_TABLES:
            db.session.execute(table.delete())
    if db.engine.dialect.name == "sqlite":
        # The knowledge-base FTS5 table lives outside the metadata.
        db.session.execute(text(f"DELETE FROM {SQLITE_FTS_TABLE}"))
    db.session.commit()


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    """Each test runs in its own app context and leaves an empty database behind."""
    with app.app_context():
        yield
        _empty_tables()
        db.session.remove()
    app.extensions[EXTENSION_KEY].get_connection().flushall()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user() -> Callable[..., object]:
    """Create a user with a role: ``make_user("Agent", username="ann")``."""

    def _make(role: str = "Agent", **fields: object):
        return factories.UserFactory(role_name=role, **fields)

    return _make


@pytest.fixture
def login(client: FlaskClient, make_user) -> Callable[..., object]:
    """Create a user of ``role`` and sign the test client in as them."""

    def _login(role: str = "Agent", **fields: object):
        user = make_user(role, **fields)
        response = client.post(
            "/login/",
            data={"username": user.username, "password": factories.PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


@pytest.fixture(scope="session")
def redis_server() -> Iterator[object]:
    """A real redis-server on a free loopback port, for integration tests."""
    from tests.servers import RedisServer

    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def build_app(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build extra apps on the test database with some settings changed."""
    built: list[Flask] = []

    def _build(**settings: object) -> Flask:
        base = {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_DIR": app.config["INSTANCE_DIR"],
        }
        config = type("VariantConfig", (TestingConfig,), {**base, **settings})
        variant = create_app(config)
        built.append(variant)
        return variant

    yield _build
    for variant in built:
        with variant.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def smtp_sink_server() -> Iterator[SmtpSink]:
    """One SMTP sink for the session (tests/mailservers.py)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(smtp_sink_server: SmtpSink) -> SmtpSink:
    """The session's SMTP sink with no messages and no pending failures."""
    smtp_sink_server.clear()
    return smtp_sink_server


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """One Dovecot for the session, with support@example.com and alice@example.com."""
    server = DovecotServer()
    server.add_user("alice@example.com", "alice-secret")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> DovecotServer:
    """The session's Dovecot with every mailbox emptied."""
    dovecot_server.clear()
    return dovecot_server
