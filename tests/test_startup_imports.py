"""Issue 16, start-up: the first turn does not wait for imports it does not need. ``import bot.app`` loads
no Graph SDK, no Alembic and no python-docx; a start against a database already at the newest migration
does not load Alembic either. Each check runs in a fresh interpreter (this one has imported everything)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_AT_START = ("msgraph", "kiota_abstractions", "azure.identity", "alembic", "docx", "lxml")


def _fresh(code: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_app_loads_no_graph_sdk_alembic_or_docx():
    loaded = _fresh(
        "import json, sys, bot.app; "
        f"print(json.dumps(sorted(m for m in {list(NOT_AT_START)!r} if m in sys.modules)))"
    )
    assert loaded == []


def test_a_start_against_a_migrated_database_does_not_load_alembic(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    code = (
        "import asyncio, json, sys\n"
        "from store.db import make_engine\n"
        "from store.migrate import migrate\n"
        "async def main():\n"
        f"    engine = make_engine({url!r})\n"
        "    await migrate(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
        "print(json.dumps('alembic' in sys.modules))\n"
    )
    assert _fresh(code) is True  # a new database: Alembic creates the tables
    assert _fresh(code) is False  # at the newest migration already: nothing to load
