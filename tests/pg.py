"""A throwaway PostgreSQL cluster for the test suite (initdb/pg_ctl in a temp dir)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryPostgres:
    """A private cluster on a loopback port (run as postgres: it refuses root)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="atrium-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the test database."""
        return f"postgresql+psycopg://atrium@127.0.0.1:{self.port}/atrium_test"

    def _run(self, *command: str) -> None:
        subprocess.run(
            [*self.run_as, *command], check=True, capture_output=True, cwd=self.root
        )

    def start(self) -> str:
        """Create, start and populate the cluster; returns the database URL."""
        if self.run_as:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.root / "pg.log"),
            "start",
        )
        psql = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c"]
        self._run(*psql, "CREATE ROLE atrium LOGIN SUPERUSER")
        self._run(*psql, "CREATE DATABASE atrium_test OWNER atrium")
        return self.url

    def stop(self) -> None:
        """Stop the cluster and delete its files."""
        try:
            self._run(
                str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
