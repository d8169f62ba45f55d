"""Atrium's `flask` commands (run from the repo root: `flask --app run <command>`)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
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
    from app.services.email_templates import ensure_default_templates
    from app.services.roles import sync_permissions_and_roles
    from app.services.users import admin_password_file, ensure_admin, get_system_user

    counts = sync_permissions_and_roles()
    get_system_user()
    ensure_default_templates()
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


@click.command("seed-demo")
@click.option(
    "--items",
    "extra_items",
    type=click.IntRange(min=0),
    default=0,
    help="Also add N generated items with bulk inserts.",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when items exist or DEMO_DATA is off (for `make run`).",
)
@with_appcontext
def seed_demo_command(extra_items: int, if_empty: bool) -> None:
    """Fill an empty desk with the case studies' demo world (and bulk items)."""
    from app.services.demo import demo_items_exist

    if if_empty and not current_app.config.get("DEMO_DATA", True):
        click.echo("DEMO_DATA is off: no demo data.")
        return
    if not demo_items_exist():
        _seed_demo_world()
    elif if_empty:
        click.echo("The desk already has items: no demo data added.")
        return
    else:
        click.echo("The desk already has items: the demo world is not created again.")
    if extra_items:
        _seed_bulk_items(extra_items)


def _seed_demo_world() -> None:
    from app.services.demo import demo_password, seed_demo

    password = demo_password()
    counts = seed_demo(password=password.value)
    summary = ", ".join(
        f"{n} {name}" for name, n in counts.items() if name != "skipped"
    )
    click.echo(f"Demo data: {summary}.")
    if password.path is None:
        click.echo("Demo users (manager, agent, customer, ...) use DEMO_PASSWORD.")
    else:
        click.echo(
            "Demo users (manager, agent, customer, ...) have the password "
            f"{password.value} (kept in {password.path})"
        )


def _seed_bulk_items(count: int) -> None:
    from app.errors import DomainError
    from app.services.demo import seed_bulk_items

    started = time.perf_counter()
    try:
        added = seed_bulk_items(count)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    elapsed = time.perf_counter() - started
    click.echo(f"Added {added} items in {elapsed:.1f} s ({added / elapsed:.0f}/s).")


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


#: sysexits.h codes a mail server understands for pipe delivery.
EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75


@click.group("mail")
def mail_group() -> None:
    """Receive and fetch mail."""


@mail_group.command("ingest")
@click.option("--mailbox", "mailbox_name", help="Mailbox (by name) it was sent to.")
@with_appcontext
def mail_ingest(mailbox_name: str | None) -> None:
    """Store one RFC 5322 message read from stdin (for pipe delivery)."""
    from app.errors import NotFoundError
    from app.jobs.mail import dispatch_outbox
    from app.services.inbound import ingest_mail
    from app.services.mailboxes import find_mailbox
    from app.services.users import act_as_system_user

    act_as_system_user()
    try:
        mailbox = find_mailbox(mailbox_name) if mailbox_name else None
    except NotFoundError:
        click.echo(f"rejected: no mailbox named {mailbox_name!r}", err=True)
        sys.exit(EX_NOUSER)
    limit = current_app.config["MAIL_MAX_MESSAGE_BYTES"]
    raw = sys.stdin.buffer.read(limit + 1)
    try:
        result = ingest_mail(raw, mailbox=mailbox)
    except Exception as exc:  # noqa: BLE001 - the mail server must retry, not bounce
        logging.getLogger(__name__).exception("mail ingest failed")
        click.echo(f"temporary failure: {type(exc).__name__}", err=True)
        sys.exit(EX_TEMPFAIL)
    if result.deferred:
        click.echo(f"temporary failure: {result.reason}", err=True)
        sys.exit(EX_TEMPFAIL)
    if not result.accepted:
        click.echo(f"rejected: {result.reason}", err=True)
        sys.exit(EX_DATAERR)
    dispatch_outbox()
    click.echo(f"{result.status} item={result.item_id or '-'}")


@mail_group.command("poll")
@click.option("--mailbox", "mailbox_name", help="Only this mailbox (by name).")
@with_appcontext
def mail_poll(mailbox_name: str | None) -> None:
    """Fetch new mail from every enabled IMAP/POP3 mailbox now."""
    from app.errors import NotFoundError
    from app.jobs.mail import dispatch_outbox
    from app.services.mailboxes import enabled_mailbox_ids, find_mailbox, poll_mailbox
    from app.services.users import act_as_system_user

    act_as_system_user()
    try:
        ids = [find_mailbox(mailbox_name).id] if mailbox_name else enabled_mailbox_ids()
    except NotFoundError:
        raise click.ClickException(f"no mailbox named {mailbox_name!r}") from None
    failed = False
    for mailbox_id in ids:
        result = poll_mailbox(mailbox_id)
        click.echo(
            f"mailbox {mailbox_id}: {result.fetched} fetched, {result.stored} stored, "
            f"{result.duplicates} duplicates, {result.rejected} rejected"
        )
        for error in result.errors:
            click.echo(f"  error: {error}", err=True)
            failed = True
    dispatch_outbox()
    if failed:
        sys.exit(1)


def _configure_logging() -> None:
    level = current_app.config.get("LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def register_cli(app: Flask) -> None:
    """Add Atrium's commands to ``app.cli``."""
    for command in (
        setup_command,
        seed_demo_command,
        worker_command,
        scheduler_command,
        translate_group,
        mail_group,
    ):
        app.cli.add_command(command)
