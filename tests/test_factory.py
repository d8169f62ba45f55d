"""Guard tests for the application factory and configuration."""

from __future__ import annotations

import pytest

from app import create_app
from config import Config, ProductionConfig


def test_factory_can_build_two_apps(app, build_app):
    other = build_app()
    assert other is not app
    assert other.extensions["appbuilder"] is not app.extensions["appbuilder"]
    assert "JobRunModelView.list" in other.view_functions


@pytest.mark.parametrize("secret", ["", "change-me", "short-secret"])
def test_production_refuses_a_weak_secret_key(secret):
    class WeakProduction(ProductionConfig):
        SECRET_KEY = secret
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(WeakProduction)


def test_production_starts_with_a_strong_secret_key():
    class StrongProduction(ProductionConfig):
        SECRET_KEY = "x" * 48
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    application = create_app(StrongProduction)
    assert application.config["SESSION_COOKIE_SECURE"] is True


def test_embedded_mode_generates_and_keeps_a_secret(tmp_path):
    class Embedded(Config):
        SECRET_KEY = ""
        INSTANCE_DIR = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    first = create_app(Embedded).config["SECRET_KEY"]
    second = create_app(Embedded).config["SECRET_KEY"]
    assert len(first) >= 32 and first == second
    assert (tmp_path / "secret-key").stat().st_mode & 0o777 == 0o600
