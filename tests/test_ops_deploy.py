"""What the container image runs, tested without the image (no container registry or Docker engine on
these machines): the entry point listening on all interfaces with HOST=0.0.0.0, the Dockerfile's own
HEALTHCHECK command against it, JSON logs, configuration errors as one line and exit status 2, and the
rules the Dockerfile, .dockerignore and compose.yaml must keep."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SSPF_", "Microsoft", "GRAPH_", "APPLICATIONINSIGHTS", "DATABASE_URL"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp_path / 'sspf.db'}",
        SSPF_ICS_DIR=str(tmp_path / "ics"),
        SSPF_REPLY_SWEEP_S="0",
    )
    env.update(extra)
    return env


def _command() -> list[str]:
    """The console script when it is installed next to this Python (as in the image), else the module."""
    script = Path(sys.executable).with_name("sspf-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.app"]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_live(proc: subprocess.Popen, port: int, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the bot exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            if _get(f"http://127.0.0.1:{port}/livez") == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the bot did not answer /livez within a minute")


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


def _start(tmp_path: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        _command(),
        cwd=tmp_path,
        env=_env(tmp_path, **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_in_a_container_it_listens_on_all_interfaces_and_passes_its_health_check(tmp_path):
    port = _free_port()
    proc = _start(tmp_path, HOST="0.0.0.0", PORT=str(port), SSPF_LOG_FORMAT="json")
    try:
        _wait_live(proc, port)
        # another address than the loopback one: 127.0.0.2 reaches only a socket bound to all interfaces
        assert _get(f"http://127.0.0.2:{port}/livez") == 200
        assert _get(f"http://127.0.0.2:{port}/readyz") == 200
        healthcheck = re.search(r"HEALTHCHECK [^\n]*\\\n\s*CMD (\[[^\n]*\])", DOCKERFILE).group(1)
        command = json.loads(healthcheck)
        assert command[0] == "python"
        ran = subprocess.run(
            [sys.executable, *command[1:]], env={**os.environ, "PORT": str(port)}, timeout=30
        )
        assert ran.returncode == 0, "the image's HEALTHCHECK fails against a live bot"
    finally:
        code, err = _stop(proc)
    assert code == 0, err[-2000:]
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any("listening on http://0.0.0.0" in entry["message"] for entry in lines)
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in lines)
    assert "Traceback" not in err


def test_on_the_loopback_default_it_is_not_reachable_from_elsewhere(tmp_path):
    port = _free_port()
    proc = _start(tmp_path, PORT=str(port))  # HOST unset: 127.0.0.1 (make run)
    try:
        _wait_live(proc, port)
        with pytest.raises(OSError):
            _get(f"http://127.0.0.2:{port}/livez")
    finally:
        code, err = _stop(proc)
    assert code == 0
    assert not err.lstrip().startswith("{"), "plain text stays the default"
    assert "INFO bot.app: SSPF bot listening on http://127.0.0.1" in err


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "abc"}, "PORT must be a whole number, got 'abc'"),
        ({"PORT": "70000"}, "PORT must be between 0 and 65535"),
        ({"SSPF_DB_POOL_SIZE": "0"}, "SSPF_DB_POOL_SIZE must be at least 1"),
        ({"SSPF_REMINDER_INTERVAL_S": "often"}, "SSPF_REMINDER_INTERVAL_S must be a number"),
        ({"SSPF_LOG_LEVEL": "LOUD"}, "SSPF_LOG_LEVEL must be one of"),
        ({"SSPF_LOG_FORMAT": "xml"}, "SSPF_LOG_FORMAT must be 'text' or 'json'"),
        ({"DATABASE_URL": "postgresql://u@h/db?sslmode=sometimes"}, "sslmode/ssl must be one of"),
    ],
)
def test_configuration_errors_are_one_line_and_exit_status_2(tmp_path, env, message):
    ran = subprocess.run(
        _command(),
        cwd=tmp_path,
        env=_env(tmp_path, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    assert ran.stderr.strip() == f"sspf-bot: configuration error: {ran.stderr.split(': ', 2)[-1].strip()}"
    assert message in ran.stderr


def test_a_port_in_use_is_a_clear_start_failure(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = subprocess.run(
            _command(),
            cwd=tmp_path,
            env=_env(tmp_path, PORT=str(port)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert ran.returncode == 1
    assert f"could not start on 127.0.0.1:{port}: OSError" in ran.stderr
    assert "Traceback" not in ran.stderr


# --- the files themselves ----------------------------------------------------------------------------


def test_dockerfile_rules():
    assert re.search(r"^USER (?!0\b|root\b)\S+", DOCKERFILE, re.M), "the image must not run as root"
    assert re.search(r"^ENV HOST=0\.0\.0\.0", DOCKERFILE, re.M)
    assert "/livez" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    # the same install as `make run`: the hashed lock, then the project without dependencies
    makefile = (ROOT / "Makefile").read_text()
    lock = re.search(r"^LOCK := (\S+)", makefile, re.M).group(1)
    assert "--require-hashes -r $(LOCK)" in makefile and f"--require-hashes -r {lock}" in DOCKERFILE
    assert "pip install --no-deps ." in DOCKERFILE
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("scripts", {})
    assert 'CMD ["sspf-bot"]' in DOCKERFILE and scripts.get("sspf-bot") == "bot.app:main"
    for path in re.findall(r"^COPY (\S+) ", DOCKERFILE, re.M):
        assert (ROOT / path).exists(), f"Dockerfile copies {path}, which does not exist"


def test_dockerignore_keeps_secrets_and_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv*", "var", ".env", "*.db", "tests"):
        assert entry in ignored, entry


def test_compose_pilot():
    compose = (ROOT / "compose.yaml").read_text()
    assert "image: postgres:" in compose and "pg_isready" in compose
    assert "condition: service_healthy" in compose
    assert "DATABASE_URL: postgresql://sspf:${SSPF_DB_PASSWORD}@db:5432/sspf" in compose
    assert "HOST: 0.0.0.0" in compose
    assert '"127.0.0.1:3978:3978"' in compose  # behind the TLS proxy on the host, not open to the network
    assert "${SSPF_DB_PASSWORD:?" in compose  # no default password
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        # where Docker Compose exists (not on these machines), it must accept the file
        subprocess.run(
            ["docker", "compose", "config", "--quiet"],
            cwd=ROOT,
            check=True,
            env={**os.environ, "SSPF_DB_PASSWORD": "x"},
        )
