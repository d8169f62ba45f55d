"""`flask setup`: roles, the system account and the admin with its password."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import AtriumUser
from app.services.access import ALL_ROLES


@pytest.fixture
def run_setup(app):
    runner = app.test_cli_runner()

    def _run():
        result = runner.invoke(args=["setup"])
        assert result.exit_code == 0, result.output
        return result.output

    return _run


def _admin() -> AtriumUser | None:
    return db.session.scalar(db.select(AtriumUser).filter_by(username="admin"))


def test_admin_gets_a_generated_password_kept_private(app, run_setup, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_PASSWORD", "")
    output = run_setup()
    secret_file = Path(app.instance_path) / "admin-password"
    password = secret_file.read_text().strip()
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert password in output
    assert check_password_hash(_admin().password, password)
    assert {role.name for role in _admin().roles} == {"Admin"}
    secret_file.unlink()


def test_admin_password_comes_from_the_environment(app, run_setup, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_PASSWORD", "from-the-environment-42")
    output = run_setup()
    assert "from-the-environment-42" not in output
    assert check_password_hash(_admin().password, "from-the-environment-42")


def test_setup_is_idempotent(app, run_setup, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_PASSWORD", "first-password-123")
    run_setup()
    monkeypatch.setitem(app.config, "ADMIN_PASSWORD", "second-password-456")
    assert "exists" in run_setup()
    assert check_password_hash(_admin().password, "first-password-123")
    count = db.session.scalar(db.select(db.func.count(AtriumUser.id)))
    assert count == 2  # admin and the system account


def test_every_role_exists_with_its_grants(app, run_setup):
    run_setup()
    sm = app.appbuilder.sm
    for name in ALL_ROLES:
        assert sm.find_role(name) is not None
    customer = {
        (p.permission.name, p.view_menu.name)
        for p in sm.find_role("Customer").permissions
    }
    assert ("can_list", "JobRunModelView") not in customer
    manager = {
        (p.permission.name, p.view_menu.name)
        for p in sm.find_role("Manager").permissions
    }
    assert ("can_list", "JobRunModelView") in manager
    assert not any(
        view == "AtriumUserDBModelView" and perm == "can_edit" for perm, view in manager
    )
