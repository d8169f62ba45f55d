"""Alembic owns the schema: head matches the models, one head, clean upgrade."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from app.extensions import db


def test_single_head():
    config = current_app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_the_migrated_schema():
    with db.engine.connect() as connection:
        # The same options as `flask db check`, including the include_object hook
        # that hides the full-text search objects the models do not describe.
        options = current_app.extensions["migrate"].configure_args
        context = MigrationContext.configure(connection, opts=dict(options))
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_is_at_head():
    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
