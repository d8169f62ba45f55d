"""`make bench`: page and API timings on a large desk, and mail ingestion.

Usage: python -m tests.bench.run [--items N] [--db sqlite|postgres|both]
                                 [--only pages|mail|sla|automation]
                                 [--mail N] [--pipe-mail N]
                                 [--sla-items N]
Pages: p50/p95 (ms) and the SQL query count of each measured request.
Mail: messages per second through `flask mail ingest` (one process per mail, as
pipe delivery runs it), through ingest_mail in one process (what the poll job
does) and through the poll job over real IMAP (Dovecot, when installed); peak
memory on a 30 MB mail.
SLA: the periodic scan's select and a whole scan over a million items
(tests/bench/sla.py).
Automation: evaluating one event against 200 active rules, and the whole event
job (tests/bench/automation.py).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import event

from tests.bench.automation import run_automation
from tests.bench.sla import run_sla

ROUNDS = 30
BENCH_PASSWORD = "bench-password-123"
BENCH_SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
MB = 1024 * 1024


def _build_app(database_url: str, instance: Path, **settings: object):
    from app import create_app
    from config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_DIR = str(instance)
        STORAGE_DIR = str(instance / "storage")
        SECRET_KEY = BENCH_SECRET_KEY
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        AUTH_RATE_LIMITED = False
        ADMIN_PASSWORD = BENCH_PASSWORD
        RQ_ASYNC = False

    for name, value in settings.items():
        setattr(BenchConfig, name, value)
    return create_app(BenchConfig)


def _prepare(app, items: int) -> dict:
    from flask_migrate import upgrade

    from app import MIGRATIONS_DIR
    from app.extensions import db
    from app.models import Item, Organization, Status
    from app.services.demo import seed_bulk_items, seed_demo
    from app.services.roles import sync_permissions_and_roles
    from app.services.users import ensure_admin

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        sync_permissions_and_roles()
        ensure_admin()
        seed_demo(password=BENCH_PASSWORD)
        existing = db.session.scalar(db.select(db.func.count(Item.id)))
        started = time.perf_counter()
        seed_bulk_items(max(0, items - existing))
        seeded = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        return {
            "seed_seconds": seeded,
            "items": db.session.scalar(db.select(db.func.count(Item.id))),
            "status_id": db.session.scalar(
                db.select(Status.id).where(Status.category == "open").limit(1)
            ),
            "organization_id": db.session.scalar(db.select(Organization.id).limit(1)),
            "item_id": db.session.scalar(
                db.select(db.func.max(Item.id)).where(Item.kind == "ticket")
            ),
        }


def _measure(app, client, path: str) -> tuple[float, float, int]:
    from app.extensions import db

    durations = []
    counts = []
    statements: list[str] = []

    def record(*args, **_kwargs):
        statements.append(args[2])

    for _ in range(ROUNDS):
        statements.clear()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", record)
            started = time.perf_counter()
            response = client.get(path)
            durations.append((time.perf_counter() - started) * 1000)
            event.remove(db.engine, "before_cursor_execute", record)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        counts.append(len(statements))
    durations.sort()
    p95 = durations[int(len(durations) * 0.95) - 1]
    return statistics.median(durations), p95, max(counts)


def _scenarios(facts: dict) -> list[tuple[str, str]]:
    import prison

    status_filter = f"_flt_0_status={facts['status_id']}"
    org_filter = f"_flt_0_organization={facts['organization_id']}"
    search = prison.dumps(
        {"filters": [{"col": "title", "opr": "ct", "value": "filter"}]}
    )
    return [
        ("ticket list, first page", "/tickets/list/"),
        ("ticket list, by status", f"/tickets/list/?{status_filter}"),
        ("ticket list, by organization", f"/tickets/list/?{org_filter}"),
        ("item show page", f"/tickets/show/{facts['item_id']}"),
        ("REST list", "/api/v1/ticket/"),
        ("text search (REST)", f"/api/v1/ticket/?q={search}"),
    ]


def run(
    database_url: str, label: str, items: int, report: Callable[[str], None]
) -> None:
    """Seed, then time every scenario on one database."""
    with tempfile.TemporaryDirectory(prefix="atrium-bench-") as instance:
        app = _build_app(database_url, Path(instance))
        facts = _prepare(app, items)
        seconds = facts["seed_seconds"]
        report(f"\n{label}: {facts['items']:,} items (bulk seed {seconds:.1f}s)")
        client = app.test_client()
        client.post("/login/", data={"username": "admin", "password": BENCH_PASSWORD})
        report(f"{'scenario':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for name, path in _scenarios(facts):
            p50, p95, queries = _measure(app, client, path)
            report(f"{name:34} {p50:8.1f} {p95:8.1f} {queries:8d}")
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


# --- mail ingestion ------------------------------------------------------------

#: The in-process rate the issue asks for (messages per second, SQLite).
MAIL_RATE_TARGET = 50
#: Peak resident memory allowed while ingesting a 30 MB mail.
MAIL_MEMORY_TARGET_MB = 200
_DOMAINS = ("aquaterra.ru", "climatec.pt", "nordlys.no", "gmail.com", "fabbrica.it")
_HTML = (
    "<p>Hello,</p><p>the unit <b>stops</b> after a few minutes.</p>"
    "<ul><li>model X-200</li><li>since Monday</li></ul>"
    '<p><a href="https://example.com/log">log</a></p>'
)


def bench_mail(number: int) -> bytes:
    """Mail ``number`` of a steady mix: plain, HTML, an attachment, replies."""
    domain = _DOMAINS[number % len(_DOMAINS)]
    mail = EmailMessage()
    mail["From"] = f"Customer {number % 40} <customer{number % 40}@{domain}>"
    mail["To"] = "support@atrium-desk.com"
    mail["Message-ID"] = f"<bench-{number}@{domain}>"
    if number % 5 == 4 and number >= 5:
        # A colleague's reply to an earlier mail: threads into its ticket.
        mail["Subject"] = f"Re: Unit {number - 5} stops after a few minutes"
        mail["In-Reply-To"] = f"<bench-{number - 5}@{domain}>"
    else:
        mail["Subject"] = f"Unit {number} stops after a few minutes"
    mail.set_content("Hello,\n\n" + "The unit stops after a few minutes.\n" * 8)
    if number % 5 == 2:
        mail.add_alternative(_HTML, subtype="html")
    if number % 5 == 3:
        data = (b"%08d" % number) * 5000  # 40 KB, different for every mail
        mail.add_attachment(
            data, maintype="application", subtype="pdf", filename=f"log-{number}.pdf"
        )
    return mail.as_bytes()


def big_mail(attachment_bytes: int = 22 * MB) -> bytes:
    """A mail of about 30 MB: a short text and one large base64 attachment."""
    data = bytes(range(256)) * (attachment_bytes // 256)
    return (
        b"From: Big Sender <big@aquaterra.ru>\r\nTo: support@atrium-desk.com\r\n"
        b"Subject: memory dump\r\nMessage-ID: <big-%d@aquaterra.ru>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nThe dump is attached.\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="dump.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        % time.monotonic_ns()
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        + b"--b--\r\n"
    )


def _drain_outbox() -> None:
    """Stand in for the sending worker, so one phase's mail is not the next one's."""
    from app.extensions import db
    from app.models import OutboundEmail

    db.session.execute(
        db.update(OutboundEmail)
        .where(OutboundEmail.status == "pending")
        .values(status="sent")
    )
    db.session.commit()


#: Runs `flask mail ingest` and reports the process's own peak memory (VmHWM) at
#: exit. ru_maxrss would not do: Linux carries the forking parent's size (this
#: big bench process) across exec into the child's figure.
_PEAK_WRAPPER = """
import atexit, runpy, sys
def _report():
    with open("/proc/self/status") as status:
        peak = next(l for l in status if l.startswith("VmHWM:")).split()[1]
    sys.stderr.write(f"ATRIUM-PEAK-KB {peak}\\n")
atexit.register(_report)
sys.argv = ["flask", "--app", "run", "mail", "ingest"]
runpy.run_module("flask", run_name="__main__", alter_sys=True)
"""


def _pipe_ingest(raw: bytes, env: dict[str, str]) -> tuple[float, float]:
    """Run `flask mail ingest` on ``raw``: (seconds, peak resident MB)."""
    import sys

    from tests.servers import BASE_DIR

    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", _PEAK_WRAPPER],
        cwd=BASE_DIR,
        env=env,
        input=raw,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    seconds = time.perf_counter() - started
    errors = process.stderr.decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"flask mail ingest failed: {errors[-2000:]}")
    peak = re.search(r"ATRIUM-PEAK-KB (\d+)", errors)
    if peak is None:
        raise SystemExit("flask mail ingest did not report its memory")
    return seconds, int(peak.group(1)) / 1024


def _rate_row(name: str, durations: list[float], total: float, queries: str) -> str:
    durations = sorted(d * 1000 for d in durations)
    p95 = durations[max(0, int(len(durations) * 0.95) - 1)]
    rate = len(durations) / total
    median = statistics.median(durations)
    return f"{name:34} {rate:8.1f} {median:8.1f} {p95:8.1f} {queries:>8}"


def _ingest_in_process(app, first: int, count: int) -> tuple[list[float], int]:
    """ingest_mail on ``count`` mails, as one poll worker does; (times, queries)."""
    from app.extensions import db
    from app.models import Mailbox
    from app.services.inbound import ingest_mail

    mails = [bench_mail(number) for number in range(first, first + count)]
    statements = 0

    def record(*_args, **_kwargs):
        nonlocal statements
        statements += 1

    with app.app_context():
        mailbox = db.session.scalar(db.select(Mailbox).filter_by(name="bench-pipe"))
        event.listen(db.engine, "before_cursor_execute", record)
        durations = []
        for raw in mails:
            started = time.perf_counter()
            result = ingest_mail(raw, mailbox=mailbox)
            durations.append(time.perf_counter() - started)
            if result.status != "stored":
                raise SystemExit(f"bench mail not stored: {result}")
        event.remove(db.engine, "before_cursor_execute", record)
        _drain_outbox()
    return durations, statements


def _poll_over_imap(app, first: int, count: int) -> tuple[float, int] | None:
    """The poll job over IMAP on ``count`` mails in Dovecot; None without Dovecot."""
    from app.extensions import db
    from app.jobs.mail import poll_mailbox
    from app.models import Mailbox
    from app.services.mailboxes import prepare_mailbox
    from tests.mailservers import DovecotServer

    server = DovecotServer()
    if not all(os.access(path, os.X_OK) for path in server.executables()):
        server.stop()
        return None
    server.start()
    try:
        with server.imap() as client:
            for number in range(first, first + count):
                client.append("INBOX", "", None, bench_mail(number))
        with app.app_context():
            mailbox = Mailbox(
                name="bench-imap",
                address="imap@atrium-desk.com",
                protocol="imap",
                host=server.host,
                port=server.imap_port,
                security="none",
                username=server.default_user,
            )
            mailbox.password = server.default_password
            prepare_mailbox(mailbox)
            db.session.add(mailbox)
            db.session.commit()
            started = time.perf_counter()
            total = 0
            while fetched := poll_mailbox(mailbox.id)["fetched"]:
                total += fetched
            seconds = time.perf_counter() - started
            _drain_outbox()
        return seconds, total
    finally:
        server.stop()


def _big_mail_memory(app, env: dict[str, str]) -> tuple[float, float, float, float]:
    """(pipe seconds, pipe peak MB, in-process seconds, traced peak MB)."""
    from app.services.inbound import ingest_mail

    pipe_seconds, pipe_peak = _pipe_ingest(big_mail(), env)
    raw = big_mail()
    with app.app_context():
        tracemalloc.start()
        try:
            started = time.perf_counter()
            result = ingest_mail(raw)
            seconds = time.perf_counter() - started
            traced_peak = tracemalloc.get_traced_memory()[1] / MB
        finally:
            tracemalloc.stop()
        if result.status != "stored":
            raise SystemExit(f"30 MB mail not stored: {result}")
        _drain_outbox()
    return pipe_seconds, pipe_peak, seconds, traced_peak


def _prepare_mail_desk(app) -> None:
    from app.extensions import db
    from app.models import Mailbox

    _prepare(app, 0)
    with app.app_context():
        _drain_outbox()
        if db.session.scalar(db.select(Mailbox.id).filter_by(name="bench-pipe")):
            return
        db.session.add(
            Mailbox(name="bench-pipe", address="pipe@atrium-desk.com", protocol="pipe")
        )
        db.session.commit()


def run_mail(
    database_url: str,
    label: str,
    report: Callable[[str], None],
    *,
    messages: int = 500,
    pipe_messages: int = 50,
) -> None:
    """Time mail ingestion three ways on one database, then a 30 MB mail."""
    from tests.servers import RedisServer, app_env

    redis = RedisServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="atrium-bench-mail-") as folder:
            instance = Path(folder)
            # A real queue: the poll job and the CLI hand their mail to Redis.
            app = _build_app(database_url, instance, REDIS_URL=redis.url, RQ_ASYNC=True)
            env = app_env(
                database_url,
                instance,
                SECRET_KEY=BENCH_SECRET_KEY,
                STORAGE_DIR=str(instance / "storage"),
                REDIS_URL=redis.url,
                # Compiled modules are cached, as in an installed deployment.
                PYTHONPYCACHEPREFIX=str(instance / "pycache"),
                PYTHONDONTWRITEBYTECODE="",
            )
            _prepare_mail_desk(app)
            _report_mail(app, env, label, report, messages, pipe_messages)
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
    finally:
        redis.stop()


def _report_mail(app, env, label, report, messages: int, pipe_messages: int) -> None:
    report(f"\n{label}: mail ingestion")
    header = f"{'scenario':34} {'msgs/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    report(f"{header} {'queries':>8}")
    pipe = []
    # Mail 0 warms up the bytecode cache; the timed ones follow.
    for number in range(pipe_messages + 1):
        pipe.append(_pipe_ingest(bench_mail(number), env))
        with app.app_context():
            _drain_outbox()
    durations = [seconds for seconds, _peak in pipe[1:]]
    name = f"flask mail ingest ({pipe_messages} procs)"
    report(_rate_row(name, durations, sum(durations), "-"))
    first = pipe_messages + 1
    durations, statements = _ingest_in_process(app, first, messages)
    in_process_rate = len(durations) / sum(durations)
    per_mail = f"{statements / messages:.0f}/msg"
    name = f"ingest_mail in-process ({messages})"
    report(_rate_row(name, durations, sum(durations), per_mail))
    polled = _poll_over_imap(app, first + messages, messages)
    if polled is None:
        report(f"{'poll job over IMAP':34} skipped: Dovecot is not installed")
    else:
        seconds, fetched = polled
        name = f"poll job over IMAP ({fetched})"
        report(f"{name:34} {fetched / seconds:8.1f} {'-':>8} {'-':>8} {'-':>8}")
    small_peak = max(peak for _seconds, peak in pipe)
    _report_big_mail(app, env, report, small_peak, in_process_rate)


def _report_big_mail(app, env, report, small_peak: float, rate: float) -> None:
    pipe_seconds, pipe_peak, seconds, traced = _big_mail_memory(app, env)
    report(f"{'30 MB mail':34} {'seconds':>8} {'peak MB':>8}")
    report(f"{'flask mail ingest, small mail':34} {'-':>8} {small_peak:8.1f}")
    report(f"{'flask mail ingest (max RSS)':34} {pipe_seconds:8.2f} {pipe_peak:8.1f}")
    report(f"{'ingest_mail (traced allocations)':34} {seconds:8.2f} {traced:8.1f}")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # The issue sets its targets for SQLite.
        rate_ok = "met" if rate >= MAIL_RATE_TARGET else "MISSED"
        memory_ok = "met" if pipe_peak < MAIL_MEMORY_TARGET_MB else "MISSED"
        report(
            f"targets: >= {MAIL_RATE_TARGET} msgs/s in-process {rate_ok}; "
            f"< {MAIL_MEMORY_TARGET_MB} MB on a 30 MB mail {memory_ok}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--items", type=int, default=int(os.environ.get("BENCH_ITEMS", "100000"))
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--only",
        choices=("pages", "mail", "sla", "automation"),
        help="run one part (default: all)",
    )
    parser.add_argument(
        "--sla-items", type=int, default=1_000_000, help="items for the SLA scan"
    )
    parser.add_argument(
        "--mail", type=int, default=500, help="mails ingested in one process"
    )
    parser.add_argument(
        "--pipe-mail",
        type=int,
        default=50,
        help="mails ingested by one `flask mail ingest` process each",
    )
    args = parser.parse_args()
    sizes = {"messages": args.mail, "pipe_messages": args.pipe_mail}

    def parts(url_for: Callable[[str], str], label: str) -> dict[str, Callable]:
        """What each part runs on one database (``url_for(name)`` gives its URL)."""
        return {
            "pages": lambda: run(url_for("bench"), label, args.items, print),
            "mail": lambda: run_mail(url_for("mail"), label, print, **sizes),
            "sla": lambda: run_sla(url_for("sla"), label, print, items=args.sla_items),
            "automation": lambda: run_automation(url_for("automation"), label, print),
        }

    chosen = [args.only] if args.only else ["pages", "mail", "sla", "automation"]
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="atrium-bench-db-") as folder:
            if "pages" in chosen:
                # The demo desk alone first: query counts must not grow with size.
                run(f"sqlite:///{folder}/small.db", "SQLite, demo desk", 0, print)
            sqlite = parts(lambda name: f"sqlite:///{folder}/{name}.db", "SQLite")
            for part in chosen:
                sqlite[part]()
    if args.db in ("postgres", "both"):
        from tests.pg import TemporaryPostgres

        cluster = TemporaryPostgres()
        try:
            url = cluster.start()
            postgres = parts(lambda _name: url, "PostgreSQL 15")
            for part in chosen:
                postgres[part]()
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
