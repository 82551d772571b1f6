"""The bot (as ``make run`` starts it) and the Agents Playground as two real processes, started and stopped
together. Used by the e2e fixtures and by the screenshot script.

Why subprocesses: the point of these tests is the whole thing as it runs — ``python -m bot.app`` with its
environment, migrations on a fresh SQLite file, and Microsoft's emulator in front — not our app object.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.playground import COORDINATOR, TENANT_ID, Playground, playground_yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
PLAYGROUND_BIN = TOOLS / "node_modules" / ".bin" / "agentsplayground"
START_TIMEOUT_S = 45


class StackUnavailable(RuntimeError):
    """Node or the npm packages are missing (the caller decides: skip, or fail under CI)."""


def missing_tooling() -> str | None:
    """Why the Playground cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "`node` not found on PATH (install Node 20+)"
    if not PLAYGROUND_BIN.exists():
        return f"{PLAYGROUND_BIN} missing: run `npm ci --prefix tools`"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@dataclass
class Stack:
    """Bot + Playground in ``workdir`` (database, .ics files, yml, logs all live there)."""

    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    playground_args: tuple[str, ...] = ()  # e.g. ("--delivery-mode", "expectReplies")
    bot_port: int = 0
    playground_port: int = 0
    bot: subprocess.Popen[bytes] | None = None
    playground: subprocess.Popen[bytes] | None = None
    client: Playground | None = None

    @property
    def bot_log(self) -> Path:
        return self.workdir / "bot.log"

    @property
    def playground_log(self) -> Path:
        return self.workdir / "playground.log"

    @property
    def playground_url(self) -> str:
        return f"http://127.0.0.1:{self.playground_port}"

    @property
    def database_path(self) -> Path:
        return self.workdir / "sspf.db"

    def bot_env(self) -> dict[str, str]:
        """The environment ``make run`` would give the bot, pointed at this stack's files and ports."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MicrosoftApp", "GRAPH_", "SSPF_", "DATABASE_URL"))
        }
        env.update(
            {
                "PORT": str(self.bot_port),
                "DATABASE_URL": f"sqlite+aiosqlite:///{self.database_path}",
                "SSPF_COORDINATORS": f"{TENANT_ID}/{COORDINATOR.aad}",
                "SSPF_ICS_DIR": str(self.workdir / "ics"),
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
        )
        return env

    def start(self) -> Stack:
        reason = missing_tooling()
        if reason:
            raise StackUnavailable(reason)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.bot_port = self.bot_port or free_port()
        self.playground_port = self.playground_port or free_port()
        try:
            self._start_bot()
            self._start_playground()
            self.client = Playground(self.playground_url, diagnostics=self.diagnostics).start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_bot(self) -> None:
        with self.bot_log.open("wb") as log:
            self.bot = subprocess.Popen(
                [sys.executable, "-m", "bot.app"],
                cwd=ROOT,
                env=self.bot_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait(lambda: _get(f"http://127.0.0.1:{self.bot_port}/healthz") == 200, self.bot, "bot /healthz")

    def _start_playground(self) -> None:
        (self.workdir / ".m365agentsplayground.yml").write_text(playground_yaml(), encoding="utf-8")
        env = {
            **os.environ,
            "TEAMSAPPTESTER_BROWSER": "none",  # else it tries to open a browser and exits 1
            "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(self.workdir / ".m365agentsplayground.yml"),
        }
        cmd = [
            str(PLAYGROUND_BIN),
            "-e",
            f"http://127.0.0.1:{self.bot_port}/api/messages",
            "-c",
            "msteams",
            "--dt",
            "-p",
            str(self.playground_port),
            *self.playground_args,
        ]
        with self.playground_log.open("wb") as log:
            self.playground = subprocess.Popen(
                cmd, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        # /_internal/v1/config answers once the Playground has reached the bot and loaded our yml.
        self._wait(
            lambda: _get(self.playground_url + "/_internal/v1/config", timeout=20) == 200,
            self.playground,
            "Playground /_internal/v1/config",
        )

    def _wait(self, ready: object, proc: subprocess.Popen[bytes] | None, what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what}: process exited with {proc.returncode}\n{self.diagnostics()}")
            if ready():  # type: ignore[operator]
                return
            time.sleep(0.2)
        raise RuntimeError(f"{what} not ready within {START_TIMEOUT_S}s\n{self.diagnostics()}")

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        for proc in (self.playground, self.bot):
            if proc is None or proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: only what we started
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def bot_log_text(self) -> str:
        try:
            return self.bot_log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def diagnostics(self, lines: int = 40) -> str:
        def tail(path: Path) -> str:
            try:
                return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
            except OSError:
                return "(no log)"

        return (
            f"--- bot.log (tail) ---\n{tail(self.bot_log)}\n"
            f"--- playground.log (tail) ---\n{tail(self.playground_log)}"
        )
