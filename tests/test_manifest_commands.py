"""Every command Teams offers in the app's command menu reaches a handler: a user who picks one from
the menu never gets "I did not understand"."""

from __future__ import annotations

import json
from pathlib import Path

import bot.app  # noqa: F401  (registers every flow)
from bot.registry import registry

MANIFEST = Path(__file__).parents[1] / "appPackage" / "manifest.json"


def test_every_menu_command_has_a_handler():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    titles = {
        command["title"]
        for bot_entry in manifest["bots"]
        for command_list in bot_entry.get("commandLists", [])
        for command in command_list["commands"]
    }
    assert titles
    unhandled = sorted(title for title in titles if registry.match_text(title) is None)
    assert unhandled == []
