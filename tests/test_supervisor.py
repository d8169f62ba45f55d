"""The embedded supervisor: restarts with back-off, stops cleanly, serves the app."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app import supervisor
from app.supervisor import Child, Supervisor
from tests.servers import BASE_DIR, flask_command, free_port


def _quick_exit(code: int) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.exit({code})"]


def test_a_dying_child_is_restarted_then_the_whole_stops(monkeypatch, capsys):
    monkeypatch.setattr(supervisor, "RESTART_WINDOW", 60.0)
    child = Child("flaky", _quick_exit(3))
    boss = Supervisor([child], dict(os.environ))
    boss.start(child)
    restarts = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        child.restart_at = 0.0  # skip the back-off wait in this test
        if not boss.check(child):
            break
        if child.process is None:
            restarts += 1
        time.sleep(0.05)
    output = capsys.readouterr().out
    assert restarts == supervisor.MAX_RESTARTS - 1
    assert "flaky exited with 3; restarting in 1s" in output
    assert "restarting in 2s" in output
    assert "died 5 times in a minute" in output


def test_stop_all_terminates_children():
    child = Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    boss = Supervisor([child], dict(os.environ))
    boss.start(child)
    boss.stop_all()
    assert child.process.poll() is not None


def _get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _wait_green(url: str, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            status, body = _get_json(url)
            if status == 200:
                return body
            last = body
        except OSError as error:
            last = error
        time.sleep(0.5)
    raise AssertionError(f"/health never turned green: {last}")


@pytest.mark.slow
def test_run_py_serves_a_green_app_and_stops_cleanly(tmp_path: Path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        ATRIUM_ENV="development",
        ATRIUM_INSTANCE_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'atrium.db'}",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        ADMIN_PASSWORD="supervisor-test-password",
    )
    for args in (("db", "upgrade"), ("setup",)):
        subprocess.run(
            flask_command(*args),
            env=env,
            cwd=BASE_DIR,
            check=True,
            capture_output=True,
            timeout=120,
        )
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "run.py"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        body = _wait_green(f"http://127.0.0.1:{port}/health")
        assert body["workers"] == 1
        assert (tmp_path / "redis.url").read_text().startswith("redis://127.0.0.1:")
        output = log_path.read_text()
        pids = dict(re.findall(r"started (\w+) \(pid (\d+)\)", output))
        assert set(pids) == {"redis", "worker", "scheduler", "web"}
        for name in ("worker", "scheduler", "web"):
            # Each child's own output arrives prefixed once it has started up.
            deadline = time.monotonic() + 30
            while f"[{name:<9}]" not in log_path.read_text():
                assert time.monotonic() < deadline, f"no output from {name}"
                time.sleep(0.2)

        os.kill(int(pids["worker"]), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while "worker exited with" not in log_path.read_text():
            assert time.monotonic() < deadline, "the dead worker was not noticed"
            time.sleep(0.2)
        assert _wait_green(f"http://127.0.0.1:{port}/health")["workers"] >= 1
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    output = log_path.read_text()
    assert code == 0, output[-3000:]
    assert "stopping web" in output and "stopping redis" in output
    assert not (tmp_path / "redis.url").exists()
    for pid in re.findall(r"started \w+ \(pid (\d+)\)", output):
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid)


def _is_zombie(pid: str) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
