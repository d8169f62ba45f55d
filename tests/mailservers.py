"""Real mail servers started by tests: an aiosmtpd sink and a private Dovecot."""

from __future__ import annotations

import email
import email.policy
import grp
import imaplib
import os
import poplib
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.servers import free_port

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the SMTP sink received it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """The data parsed with the modern policy, wire CRLFs read as newlines."""
        # Parsed as-is, bodies keep their CRLFs: get_content() would end in "\r\n".
        text = self.data.replace(b"\r\n", b"\n")
        return email.message_from_bytes(text, policy=email.policy.default)


class _SinkHandler:
    """aiosmtpd handler that hands every DATA command to its SmtpSink."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        return self.sink._receive(envelope)


class SmtpSink:
    """An SMTP server on a free loopback port that keeps what it receives."""

    host = LOOPBACK

    def __init__(self) -> None:
        self.port = free_port()
        self._controller: Controller | None = None
        self._messages: list[ReceivedMail] = []
        self._failures: deque[str] = deque()
        self._changed = threading.Condition()

    def start(self) -> SmtpSink:
        """Bind the port and serve from an event loop thread."""
        # The loop is created here, not in __init__, so an unstarted sink leaks
        # no event loop; a fixed hostname spares the greeting a DNS lookup.
        controller = Controller(
            _SinkHandler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="sink.atrium.test",
            ready_timeout=10.0,
        )
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            raise
        self._controller = controller
        return self

    def stop(self) -> None:
        """Close the listener, cancel sessions and join the loop thread."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[ReceivedMail]:
        """A snapshot of the messages received so far, oldest first."""
        with self._changed:
            return list(self._messages)

    def clear(self) -> None:
        """Forget received messages and pending failures."""
        with self._changed:
            self._messages.clear()
            self._failures.clear()

    def fail_next(self, code: int, count: int = 1, text: str = "") -> None:
        """Answer the next ``count`` DATA commands with ``code`` instead of 250."""
        reply = f"{code} {text or _DEFAULT_FAILURE_TEXT.get(code, 'Failed')}"
        with self._changed:
            self._failures.extend([reply] * count)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Block until ``count`` messages have arrived, then return them all."""
        with self._changed:
            arrived = self._changed.wait_for(
                lambda: len(self._messages) >= count, timeout
            )
            if not arrived:
                raise AssertionError(
                    f"expected {count} messages within {timeout}s, "
                    f"got {len(self._messages)}"
                )
            return list(self._messages)

    def _receive(self, envelope: Envelope) -> str:
        with self._changed:
            if self._failures:
                return self._failures.popleft()
            self._messages.append(
                ReceivedMail(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=bytes(envelope.original_content or b""),
                )
            )
            self._changed.notify_all()
        return "250 Message accepted for delivery"


_DEFAULT_FAILURE_TEXT = {
    421: "Service not available, closing transmission channel",
    450: "Mailbox unavailable, try again later",
    451: "Local error in processing",
    550: "Mailbox unavailable",
    554: "Transaction failed",
}


@dataclass(frozen=True)
class _Accounts:
    """System users Dovecot runs as, and the owner of the mail files."""

    internal_user: str
    internal_group: str
    login_user: str
    mail_uid: int
    mail_gid: int


def _dovecot_accounts() -> _Accounts:
    """Unprivileged Debian users as root, the current user otherwise."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(me.pw_gid).gr_name
        return _Accounts(me.pw_name, group, me.pw_name, me.pw_uid, me.pw_gid)
    try:
        internal = pwd.getpwnam("dovecot")
        login = pwd.getpwnam("dovenull")
        mail = pwd.getpwnam("nobody")
    except KeyError as error:
        raise RuntimeError(f"dovecot needs the system user {error}") from error
    group = grp.getgrgid(internal.pw_gid).gr_name
    return _Accounts(internal.pw_name, group, login.pw_name, mail.pw_uid, mail.pw_gid)


_DOVECOT_CONF = """\
# Private test instance; nothing here touches /etc/dovecot or the system paths.
protocols = imap pop3
listen = {host}
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = {instance}
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# Failed logins answer at once instead of after Dovecot's 2 s penalty.
auth_failure_delay = 0
default_internal_user = {accounts.internal_user}
default_internal_group = {accounts.internal_group}
default_login_user = {accounts.login_user}
first_valid_uid = {accounts.mail_uid}
last_valid_uid = {accounts.mail_uid}
first_valid_gid = {accounts.mail_gid}
mail_location = maildir:{dir}/mail/%u
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
}}
# Chroots need root and buy a test nothing.
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""


def _imap_quote(name: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib sends names raw)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DovecotServer:
    """A private Dovecot with IMAP and POP3 on free loopback ports."""

    host = LOOPBACK
    binary = "/usr/sbin/dovecot"
    libexec_dir = "/usr/lib/dovecot"
    default_user = "support@example.com"
    default_password = "mail-secret"

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.imap_port = free_port()
        self.pop3_port = free_port()
        while self.pop3_port == self.imap_port:
            self.pop3_port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="atrium-dovecot-"))
        self.users = dict(users or {self.default_user: self.default_password})
        self.process: subprocess.Popen[bytes] | None = None
        self._accounts: _Accounts | None = None

    def executables(self) -> dict[str, str]:
        """The programs this server runs, each with the Debian package holding it."""
        return {
            self.binary: "dovecot-core",
            f"{self.libexec_dir}/imap": "dovecot-imapd",
            f"{self.libexec_dir}/pop3": "dovecot-pop3d",
        }

    @property
    def config_path(self) -> Path:
        """The private dovecot.conf."""
        return self.dir / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        """Where Dovecot logs; log_tail() shows its end."""
        return self.dir / "dovecot.log"

    def add_user(self, name: str, password: str) -> None:
        """Add a mailbox user, before start() or while running."""
        self.users[name] = password
        if self._accounts is not None:
            self._write_users()
            # Dovecot stats the passwd-file at most once a second: wait that out.
            time.sleep(1.1)

    def start(self) -> DovecotServer:
        """Write the config, run dovecot in the foreground, wait for both ports."""
        for path, package in self.executables().items():
            if not os.access(path, os.X_OK):
                raise RuntimeError(
                    f"{path} not found: install {package} (make system installs it)"
                )
        self._accounts = _dovecot_accounts()
        self._prepare_dir()
        with open(self.dir / "stderr.log", "wb") as stderr:
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        try:
            self._wait_until_listening(timeout=20.0)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the master and every process it started, then delete the files."""
        if self.process is not None:
            group = self.process.pid
            if self.process.poll() is None:
                # Signal the whole group: on a lone SIGTERM the master waits a
                # second for its services and leaves open IMAP sessions running.
                os.killpg(group, signal.SIGTERM)
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(group, signal.SIGKILL)
                    self.process.wait(5)
            _wait_for_group_exit(group)
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of Dovecot's log and stderr, for failure messages."""
        text = ""
        for path in (self.dir / "stderr.log", self.log_path):
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    @contextmanager
    def imap(self, user: str | None = None) -> Iterator[imaplib.IMAP4]:
        """An IMAP connection logged in as ``user``; logs out on exit."""
        user = user or self.default_user
        with imaplib.IMAP4(self.host, self.imap_port, timeout=10) as client:
            client.login(user, self.users[user])
            yield client

    @contextmanager
    def pop3(self, user: str | None = None) -> Iterator[poplib.POP3]:
        """A POP3 connection logged in as ``user``; quits on exit."""
        user = user or self.default_user
        client = poplib.POP3(self.host, self.pop3_port, timeout=10)
        try:
            client.user(user)
            client.pass_(self.users[user])
            yield client
        finally:
            client.quit()

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message into ``user``'s ``folder``, creating the folder if needed."""
        with self.imap(user) as client:
            if folder.upper() != "INBOX":
                self._ensure_folder(client, folder)
            status, data = client.append(_imap_quote(folder), "", None, raw)
            if status != "OK":
                raise AssertionError(f"APPEND to {folder} failed: {data!r}")

    def create_folder(self, user: str, name: str) -> None:
        """Create a folder (``/`` separates levels) for ``user`` if it is missing."""
        with self.imap(user) as client:
            self._ensure_folder(client, name)

    def count(self, user: str, folder: str = "INBOX", unseen_only: bool = False) -> int:
        """How many (unseen) messages ``user`` has in ``folder``."""
        with self.imap(user) as client:
            status, data = client.select(_imap_quote(folder), readonly=True)
            if status != "OK":
                raise AssertionError(f"SELECT {folder} failed: {data!r}")
            status, data = client.search(None, "UNSEEN" if unseen_only else "ALL")
            return len(data[0].split())

    def folders(self, user: str) -> list[str]:
        """The names of ``user``'s folders, sorted."""
        with self.imap(user) as client:
            return sorted(_folder_names(client))

    def clear(self) -> None:
        """Delete every user's messages and folders, leaving empty INBOXes."""
        for user in self.users:
            with self.imap(user) as client:
                folders = _folder_names(client)
                # Children first: Dovecot refuses to delete a folder with children.
                for name in sorted(folders, key=lambda n: -n.count("/")):
                    if name.upper() != "INBOX":
                        client.delete(_imap_quote(name))
                status, data = client.select("INBOX")
                if status == "OK" and int(data[0] or 0) > 0:
                    client.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
                    client.expunge()

    @staticmethod
    def _ensure_folder(client: imaplib.IMAP4, name: str) -> None:
        status, data = client.list('""', _imap_quote(name))
        if data and data[0] is not None:
            return
        status, data = client.create(_imap_quote(name))
        if status != "OK":
            raise AssertionError(f"CREATE {name} failed: {data!r}")

    def _prepare_dir(self) -> None:
        assert self._accounts is not None
        # Dovecot's unprivileged processes must reach the files under the dir.
        self.dir.chmod(0o755)
        mail_dir = self.dir / "mail"
        mail_dir.mkdir(exist_ok=True)
        os.chown(mail_dir, self._accounts.mail_uid, self._accounts.mail_gid)
        self._write_users()
        self.config_path.write_text(
            _DOVECOT_CONF.format(
                host=self.host,
                dir=self.dir,
                instance=self.dir.name,
                accounts=self._accounts,
                imap_port=self.imap_port,
                pop3_port=self.pop3_port,
            )
        )

    def _write_users(self) -> None:
        assert self._accounts is not None
        uid, gid = self._accounts.mail_uid, self._accounts.mail_gid
        lines = [
            f"{name}:{{PLAIN}}{password}:{uid}:{gid}::{self.dir}/mail/{name}::\n"
            for name, password in self.users.items()
        ]
        # Replace atomically so the auth process never reads half a file.
        staging = self.dir / "users.new"
        staging.write_text("".join(lines))
        staging.chmod(0o644)
        staging.replace(self.dir / "users")

    def _wait_until_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = [self.imap_port, self.pop3_port]
        while pending:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"dovecot exited with {self.process.returncode}:\n"
                    + self.log_tail()
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"dovecot not listening after {timeout}s:\n" + self.log_tail()
                )
            if _accepts(pending[0]):
                pending.pop(0)
            else:
                time.sleep(0.05)


_UNSELECTABLE = {b"\\Noselect", b"\\NonExistent"}
_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$')


def _folder_names(client: imaplib.IMAP4) -> list[str]:
    """Every selectable mailbox LIST reports (ASCII names: no modified UTF-7)."""
    status, data = client.list('""', "*")
    names = []
    for line in data:
        match = _LIST_LINE.match(line) if isinstance(line, bytes) else None
        if match and not _UNSELECTABLE.intersection(match["flags"].split()):
            name = match["name"].decode()
            if name.startswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            names.append(name)
    return names


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


def _group_members(group: int) -> list[int]:
    """Live (not zombie) processes in process group ``group``."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(int(stat.parent.name))
    return members


def _wait_for_group_exit(group: int, timeout: float = 5.0) -> None:
    """Wait for a process group to die out; kill what outlives ``timeout``."""
    deadline = time.monotonic() + timeout
    while _group_members(group):
        if time.monotonic() > deadline:
            os.killpg(group, signal.SIGKILL)
            return
        time.sleep(0.05)
