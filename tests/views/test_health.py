"""GET /health reports the database, Redis and live workers."""

from __future__ import annotations

import pytest
from rq import Worker
from rq.serializers import JSONSerializer

from app.jobs import EXTENSION_KEY, connect_redis, get_queue
from tests.servers import free_port


@pytest.fixture
def registered_worker(app):
    queue = get_queue()
    worker = Worker([queue], connection=queue.connection, serializer=JSONSerializer)
    worker.register_birth()
    yield worker
    worker.register_death()


def test_healthy_when_database_redis_and_a_worker_are_there(client, registered_worker):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "workers": 1,
        "failing": [],
    }


def test_no_worker_is_a_named_failure(client):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["failing"] == ["workers"]
    assert response.json["redis"] == "ok"


def test_unreachable_redis_is_a_named_failure(app, client, monkeypatch):
    holder = app.extensions[EXTENSION_KEY]
    dead = connect_redis(f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(holder, "connection", dead)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["redis"] == "unreachable"
    assert set(response.json["failing"]) == {"redis", "workers"}
    assert response.json["database"] == "ok"


def test_health_needs_no_login_and_is_not_cached(client):
    response = client.get("/health")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.status_code in (200, 503)
