"""``make screenshots``: run the meeting scenario with the Playground's web UI open in headless Chromium and
save PNGs of the cards people will see (agenda, protokoll) under ``build/screenshots/``.

    python -m tests.e2e.screenshots [--out build/screenshots] [--keep]

Why through the Playground's own UI: it renders with Microsoft's Adaptive Card renderer inside a Teams-like
chat, so the picture is what a user would see, not our own rendering. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e.stack import ROOT, TOOLS, Stack, missing_tooling

UI_DRIVER = TOOLS / "playground_ui.js"


class UiDriver:
    """The Playground's web UI in headless Chromium (tools/playground_ui.js), one JSON command per line."""

    def __init__(self, playground_url: str, chromium: str = "/usr/bin/chromium") -> None:
        self.proc = subprocess.Popen(
            ["node", str(UI_DRIVER), playground_url, "--chromium", chromium],
            cwd=TOOLS,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        first = self._read()
        if not first.get("ready"):
            raise RuntimeError(f"Playground UI did not load: {first}")

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"playground_ui.js exited ({self.proc.poll()})")
        return json.loads(line)

    def command(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        answer = self._read()
        if not answer.get("ok"):
            raise RuntimeError(f"playground_ui.js {cmd}: {answer.get('error')}")
        return answer

    def open(self, name: str) -> None:
        self.command(cmd="open", name=name)

    def card(self, text: str, file: Path, timeout: float = 10) -> Path:
        self.command(cmd="card", text=text, file=str(file), timeout=timeout)
        return file

    def page(self, file: Path) -> Path:
        self.command(cmd="page", file=str(file))
        return file

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.command(cmd="quit")
                self.proc.wait(20)
            except Exception:
                self.proc.kill()
                self.proc.wait(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "screenshots" / "playground")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--keep", action="store_true", help="keep the bot/Playground logs and database")
    args = parser.parse_args(argv)
    reason = missing_tooling()
    if reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 2
    if not Path(args.chromium).exists():
        print(f"screenshots: {args.chromium} not found (apt-get install chromium)", file=sys.stderr)
        return 2
    from tests.e2e import scenarios

    workdir = Path(tempfile.mkdtemp(prefix="sspf-screenshots-"))
    stack = Stack(workdir)
    ui: UiDriver | None = None
    try:
        stack.start()
        assert stack.client is not None
        ui = UiDriver(stack.playground_url, args.chromium)
        # the UI driver runs in tools/: a relative --out would land in tools/build
        args.out = args.out.resolve()
        args.out.mkdir(parents=True, exist_ok=True)
        driver = ui

        def photograph(shot: scenarios.Shot) -> None:
            driver.open(shot.chat)
            print(driver.card(shot.text, args.out / f"{shot.name}.png"))

        scenarios.screenshot_run(stack.client, stack.database_path, photograph)
        ui.page(args.out / "playground.png")
        print(args.out / "playground.png")
    except Exception:
        print(stack.diagnostics(), file=sys.stderr)
        raise
    finally:
        if ui is not None:
            ui.close()
        stack.stop()
        if args.keep:
            print(f"logs and database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
