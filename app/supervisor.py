"""The embedded supervisor behind `python run.py` (and so `make run`).

It starts a private redis-server when REDIS_URL is unset, then one RQ worker, the
periodic-job scheduler and gunicorn; prefixes and shows their logs; restarts a child
that dies (with back-off) and stops everything cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
#: A child that dies this many times within RESTART_WINDOW seconds stops the whole.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
STOP_TIMEOUT = 10.0


@dataclass
class Child:
    """One supervised process and its restart history."""

    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    deaths: deque = field(default_factory=deque)
    restart_at: float = 0.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def log(name: str, message: str) -> None:
    """Print one prefixed line on the supervisor's stdout."""
    sys.stdout.write(f"[{name:<9}] {message}\n")
    sys.stdout.flush()


def _pump(name: str, process: subprocess.Popen) -> None:
    if process.stdout is None:
        return
    with process.stdout as stream:
        for raw in stream:
            log(name, raw.decode("utf-8", "replace").rstrip())


class Supervisor:
    """Starts, watches, restarts and stops the children."""

    def __init__(self, children: list[Child], env: dict[str, str]) -> None:
        self.children = children
        self.env = env
        self.stopping = threading.Event()

    def start(self, child: Child) -> None:
        """Start ``child`` with its output piped through the log prefixer."""
        child.process = subprocess.Popen(
            child.command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(
            target=_pump, args=(child.name, child.process), daemon=True
        ).start()
        log("atrium", f"started {child.name} (pid {child.process.pid})")

    def check(self, child: Child) -> bool:
        """Handle a dead child; False when it died too often and all must stop."""
        if child.process is None:
            if time.monotonic() >= child.restart_at:
                self.start(child)
            return True
        code = child.process.poll()
        if code is None:
            return True
        now = time.monotonic()
        child.deaths.append(now)
        while child.deaths and now - child.deaths[0] > RESTART_WINDOW:
            child.deaths.popleft()
        if len(child.deaths) >= MAX_RESTARTS:
            log("atrium", f"{child.name} died {len(child.deaths)} times in a minute")
            return False
        delay = min(30.0, 2.0 ** (len(child.deaths) - 1))
        log("atrium", f"{child.name} exited with {code}; restarting in {delay:.0f}s")
        child.process = None
        child.restart_at = now + delay
        return True

    def watch(self) -> int:
        """Watch the children until a signal (0) or a child failing for good (1)."""
        healthy = True
        while not self.stopping.is_set():
            if not all(self.check(child) for child in self.children):
                healthy = False
                break
            self.stopping.wait(0.5)
        self.stop_all()
        return 0 if healthy else 1

    def stop_all(self) -> None:
        """Stop the children in reverse start order: TERM, wait, then KILL."""
        for child in reversed(self.children):
            process = child.process
            if process is None or process.poll() is not None:
                continue
            log("atrium", f"stopping {child.name}")
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log("atrium", f"{child.name} did not stop in time; killing it")
                process.kill()
                process.wait()


def _instance_dir() -> Path:
    return Path(os.environ.get("ATRIUM_INSTANCE_DIR", BASE_DIR / "instance"))


def redis_child(instance: Path, port: int) -> Child:
    """An embedded redis-server on loopback with its data and AOF in instance/."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "redis-server is not installed; run `make run` or set REDIS_URL"
        )
    data_dir = instance / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        binary,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--protected-mode",
        "yes",
    ]
    return Child("redis", command)


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> bool:
    """Whether something accepts connections on host:port within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def app_children(host: str, port: int) -> list[Child]:
    """The worker, the scheduler and gunicorn, run with this interpreter."""
    python = sys.executable
    flask = [python, "-m", "flask", "--app", "run"]
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    gunicorn = [
        python,
        "-m",
        "gunicorn",
        "run:app",
        "--bind",
        f"{host}:{port}",
        "--workers",
        workers,
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]
    return [
        Child("worker", [*flask, "worker"]),
        Child("scheduler", [*flask, "scheduler"]),
        Child("web", gunicorn),
    ]


def main() -> int:
    """Run Atrium with every part it needs on this machine."""
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    instance = _instance_dir()
    instance.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    children: list[Child] = []
    url_file = instance / "redis.url"
    redis_port = None
    if not os.environ.get("REDIS_URL"):
        redis_port = free_port()
        url_file.write_text(f"redis://127.0.0.1:{redis_port}/0\n")
        children.append(redis_child(instance, redis_port))
    supervisor = Supervisor(children, env)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: supervisor.stopping.set())
    if redis_port is not None:
        supervisor.start(children[0])
        if not wait_for_port("127.0.0.1", redis_port):
            supervisor.stop_all()
            log("atrium", "the embedded redis-server did not start")
            return 1
    for child in app_children(host, port):
        children.append(child)
        supervisor.start(child)
    log("atrium", f"Atrium is at http://{host}:{port}/ — press Ctrl-C to stop")
    code = supervisor.watch()
    if redis_port is not None:
        url_file.unlink(missing_ok=True)
    log("atrium", "stopped" if code == 0 else "stopped after repeated failures")
    return code
