"""Job tests reuse the service tests' item types and accounts; `real_worker` runs
queued jobs in a real `flask worker` process on a real redis-server."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from app.jobs import EXTENSION_KEY, connect_redis
from tests.servers import app_env, flask_command
from tests.services.conftest import (  # noqa: F401 - fixtures
    agent,
    make_customer_user,
    task_type,
    ticket_type,
)


@pytest.fixture
def real_worker(
    app, redis_server, database_url, instance_dir, monkeypatch
) -> Callable[..., None]:
    """Jobs queue on the session's redis-server; calling the result runs
    `flask worker --burst` (extra environment as keywords) until the queue is empty."""
    connection = connect_redis(redis_server.url)
    # Ids restart with each test's clean database, so deterministic job ids repeat:
    # a finished job left by an earlier test would make RQ refuse the new one.
    connection.flushdb()
    holder = app.extensions[EXTENSION_KEY]
    monkeypatch.setattr(holder, "connection", connection)
    monkeypatch.setitem(app.config, "RQ_ASYNC", True)

    def run(**env: str) -> None:
        result = subprocess.run(
            flask_command("worker", "--burst"),
            env=app_env(database_url, instance_dir, REDIS_URL=redis_server.url, **env),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    return run
