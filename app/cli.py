"""Atrium's `flask` commands (run from the repo root: `flask --app run <command>`)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

BASE_DIR = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = BASE_DIR / "translations"


@click.command("setup")
@with_appcontext
def setup_command() -> None:
    """Create permissions, roles, the system user and the admin account."""
    from app.services.roles import sync_permissions_and_roles
    from app.services.users import admin_password_file, ensure_admin, get_system_user

    counts = sync_permissions_and_roles()
    get_system_user()
    click.echo("Roles: " + ", ".join(f"{name} ({n})" for name, n in counts.items()))
    account = ensure_admin()
    if not account.created:
        click.echo("Admin user 'admin' exists.")
    elif account.generated_password:
        click.echo(
            "Created admin user 'admin' with password "
            f"{account.generated_password} (kept in {admin_password_file()})"
        )
    else:
        click.echo("Created admin user 'admin' with the password from ADMIN_PASSWORD.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker (with the RQ scheduler) on Atrium's queue."""
    from app.jobs.worker import run_worker

    _configure_logging()
    run_worker(burst=burst)


@click.command("scheduler")
@click.option("--tick", default=15.0, show_default=True, help="Seconds between checks.")
@with_appcontext
def scheduler_command(tick: float) -> None:
    """Enqueue periodic jobs when due and hand pending jobs to Redis."""
    from app.jobs.scheduler import run_scheduler

    _configure_logging()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run_scheduler(stop, tick_seconds=tick)


@click.group("translate")
def translate_group() -> None:
    """Extract, update and compile the translation catalogs (wraps pybabel)."""


@translate_group.command("update")
def translate_update() -> None:
    """Extract messages into messages.pot and merge them into every catalog."""
    pot = TRANSLATIONS_DIR / "messages.pot"
    _pybabel(
        "extract",
        "-F",
        str(TRANSLATIONS_DIR / "babel.cfg"),
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
        "app",
    )
    _pybabel(
        "update", "-i", str(pot), "-d", str(TRANSLATIONS_DIR), "--no-fuzzy-matching"
    )


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile every catalog (ours and our FAB additions) to .mo."""
    for directory in (TRANSLATIONS_DIR, TRANSLATIONS_DIR / "fab"):
        _pybabel("compile", "--statistics", "-d", str(directory))


@translate_group.command("init")
@click.argument("language")
def translate_init(language: str) -> None:
    """Start a catalog for a new LANGUAGE."""
    pot = TRANSLATIONS_DIR / "messages.pot"
    _pybabel("init", "-i", str(pot), "-d", str(TRANSLATIONS_DIR), "-l", language)


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    result = subprocess.run(command, cwd=BASE_DIR, check=False)
    if result.returncode != 0:
        raise click.ClickException(f"pybabel {args[0]} failed ({result.returncode})")


def _configure_logging() -> None:
    level = current_app.config.get("LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def register_cli(app: Flask) -> None:
    """Add Atrium's commands to ``app.cli``."""
    for command in (setup_command, worker_command, scheduler_command, translate_group):
        app.cli.add_command(command)
